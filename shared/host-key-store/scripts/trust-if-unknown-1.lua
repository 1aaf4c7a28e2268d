--[[
  Trust on first use, bounded: stores a host key unless one of its host, port
  and type is already trusted (another worker got there first), and unless
  the store already holds its maximum of entries.

  KEYS[1] trust store hash   {p}:hostkeys
  ARGV[1] field              <host>:<port>:<key type>
  ARGV[2] key                base64
  ARGV[3] most entries the store may hold

  Returns: the key trusted for the field afterwards; false when the store is
  full and had none for it (nothing stored).
]]
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if stored then
  return stored
end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  return false
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return ARGV[2]
