--[[
  Renews one session lease, if the caller still holds it.

  KEYS[1] session hash      <p>:session:{<sid>}
  ARGV[1] owner inbox
  ARGV[2] fencing token
  ARGV[3] lease TTL (ms)

  Returns: 1 renewed; 0 gone (no record); -1 lost (another owner or token).
]]
local holder = redis.call('HMGET', KEYS[1], 'owner', 'fence')
if not holder[1] then
  if redis.call('EXISTS', KEYS[1]) == 0 then
    return 0
  end
  return -1
end
if holder[1] ~= ARGV[1] or holder[2] ~= ARGV[2] then
  return -1
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
