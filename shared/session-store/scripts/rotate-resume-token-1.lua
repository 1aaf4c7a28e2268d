--[[
  Replaces a session's resume-token hash, if it is still the one the caller
  verified, and records the gateway now carrying the session. Compare-and-set,
  so of two resumes racing with the same token exactly one wins.

  KEYS[1] session hash        {p}:session:<sid>
  ARGV[1] expected token hash (the one the caller checked)
  ARGV[2] new token hash
  ARGV[3] gateway inbox       gw:<id>

  Returns: 1 rotated; 0 gone (no record); -1 changed (someone else rotated it).
]]
local current = redis.call('HGET', KEYS[1], 'tokenHash')
if not current then
  return 0
end
if current ~= ARGV[1] then
  return -1
end
redis.call('HSET', KEYS[1], 'tokenHash', ARGV[2], 'gateway', ARGV[3])
return 1
