--[[
  Takes one of a limited number of slots for an attempt in progress, counting
  recent failures against the same limit: an attempt is admitted while
  failures + attempts under way < limit. Check and take are one step, so of
  many attempts at once no more than the limit get through.

  Slots are members of a sorted set scored by when they lapse, so one whose
  holder died (a worker killed mid-login) frees itself.

  KEYS[1] failures counter     (may not exist: then nothing has failed)
  KEYS[2] slots in use         sorted set, member = attempt id, score = lapses at (ms)
  ARGV[1] limit
  ARGV[2] attempt id
  ARGV[3] now (ms)
  ARGV[4] how long the slot is held at most (ms)

  Returns: {1, 0} taken; {0, ms} refused because of failures, ms until they
  expire; {-1, 0} refused because of attempts under way.
]]
local limit = tonumber(ARGV[1])
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
if failures >= limit then
  return {0, redis.call('PTTL', KEYS[1])}
end
if failures + redis.call('ZCARD', KEYS[2]) >= limit then
  return {-1, 0}
end
local lapses = now + tonumber(ARGV[4])
redis.call('ZADD', KEYS[2], lapses, ARGV[2])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[4]) then
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
return {1, 0}
