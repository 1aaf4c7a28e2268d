--[[
  The client proved it received its newest resume token: the prior one stops
  working (session-extension.md rule 1), unless another resume has rotated
  the token since.

  KEYS[1] session hash        <p>:session:{<sid>}
  ARGV[1] token hash the client received

  Returns: 1 confirmed; 0 not the newest token any more (or no record).
]]
if redis.call('HGET', KEYS[1], 'tokenHash') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'priorTokenHash')
  return 1
end
return 0
