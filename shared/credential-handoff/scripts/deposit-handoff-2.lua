--[[
  Keeps a sealed credential hand-off for the page's socket, unless the cluster
  already holds its maximum of hand-offs nobody has taken: a flood of login
  posts from many addresses cannot fill Redis.

  KEYS[1] the hand-off        <p>:handoff:{handoffs}:<hash of its id>
  KEYS[2] pending hand-offs   <p>:handoffs:{handoffs}, a sorted set of KEYS[1] names scored by expiry (ms)
  ARGV[1] sealed value
  ARGV[2] TTL (ms)
  ARGV[3] now (ms)
  ARGV[4] most hand-offs pending at once

  Returns: 1 kept; 0 refused (full).
]]
local now = tonumber(ARGV[3])
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, KEYS[1])
if redis.call('PTTL', KEYS[2]) < ttl then
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return 1
