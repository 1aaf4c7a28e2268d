--[[
  Deletes a session's record when its owner ends it, and leaves a short-lived
  note of why, so a client resuming later learns the session is over
  ('expired') rather than never heard of ('unknown'). A worker whose lease
  was lost (another owner, a newer token) changes nothing.

  KEYS[1] session hash      <p>:session:{<sid>}
  KEYS[2] ended note        <p>:ended:{<sid>}
  ARGV[1] owner inbox
  ARGV[2] fencing token
  ARGV[3] why it ended
  ARGV[4] note TTL (ms)

  Returns: 1 released; 0 not ours (or already gone).
]]
local holder = redis.call('HMGET', KEYS[1], 'owner', 'fence')
if holder[1] == ARGV[1] and holder[2] == ARGV[2] then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
  return 1
end
return 0
