--[[
  Replaces a session's resume-token hash after a client presented the token
  the caller verified, and records the gateway now carrying the session.

  The token presented may be the newest (tokenHash) or the one it replaced
  (priorTokenHash): a client whose socket dropped before it received its new
  token still holds the prior one. Afterwards the token presented is the
  prior one, valid until the client proves it received the new one
  (confirm-resume-token-1.lua); any other token stops working.

  KEYS[1] session hash        <p>:session:{<sid>}
  ARGV[1] expected token hash (the one the presented token matched)
  ARGV[2] new token hash
  ARGV[3] gateway inbox       gw:<id>

  Returns: 1 rotated; 0 gone (no record); -1 changed (the presented token is no longer valid).
]]
local tokens = redis.call('HMGET', KEYS[1], 'tokenHash', 'priorTokenHash')
if not tokens[1] then
  return 0
end
if tokens[1] ~= ARGV[1] and tokens[2] ~= ARGV[1] then
  return -1
end
redis.call('HSET', KEYS[1], 'tokenHash', ARGV[2], 'priorTokenHash', ARGV[1], 'gateway', ARGV[3])
return 1
