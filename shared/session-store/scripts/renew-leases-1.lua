--[[
  Renews many session leases of one owner in one call (the worker's
  heartbeat), each only if the owner still holds it. One call instead of one
  per session keeps the heartbeat's cost in Redis and in the worker nearly
  flat in the number of sessions. Only for a single Redis (or Sentinel): on
  a Redis Cluster the keys live in different slots, and renew-lease-1.lua
  goes per key.

  KEYS[i]   session hash  <p>:session:{<sid>}
  ARGV[1]   owner inbox
  ARGV[2]   lease TTL (ms)
  ARGV[2+i] fencing token of KEYS[i]

  Returns: one code per key: 1 renewed; 0 gone (no record); -1 lost (another owner or token).
]]
local codes = {}
for i, key in ipairs(KEYS) do
  local holder = redis.call('HMGET', key, 'owner', 'fence')
  if not holder[1] then
    codes[i] = redis.call('EXISTS', key) == 0 and 0 or -1
  elseif holder[1] ~= ARGV[1] or holder[2] ~= ARGV[2 + i] then
    codes[i] = -1
  else
    redis.call('PEXPIRE', key, ARGV[2])
    codes[i] = 1
  end
end
return codes
