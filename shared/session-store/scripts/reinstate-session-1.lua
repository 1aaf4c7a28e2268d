--[[
  Puts back the record of a live session that Redis lost (a restart without
  persistence), so that its lease can be renewed and its client can resume.
  Never overwrites a record that exists.

  KEYS[1] session hash      <p>:session:{<sid>}
  ARGV[1] lease TTL (ms)
  ARGV[2..] field, value, field, value, ...

  Returns: 1 reinstated; 0 a record exists.
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
