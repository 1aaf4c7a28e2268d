--[[
  Deletes a session's record when its owner ends it. A worker whose lease was
  lost (another owner, a newer token) deletes nothing.

  KEYS[1] session hash      {p}:session:<sid>
  ARGV[1] owner inbox
  ARGV[2] fencing token

  Returns: 1 deleted; 0 not ours (or already gone).
]]
local holder = redis.call('HMGET', KEYS[1], 'owner', 'fence')
if holder[1] == ARGV[1] and holder[2] == ARGV[2] then
  return redis.call('DEL', KEYS[1])
end
return 0
