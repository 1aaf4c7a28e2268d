--[[
  Claims a waiting session for a worker and issues its fencing token.

  KEYS[1] session hash      <p>:session:{<sid>}
  ARGV[1] owner inbox       worker:<id>
  ARGV[2] owner proof       HMAC of session and owner under the cluster secret
  ARGV[3] lease TTL (ms)

  The token counts the claims of this one record (it lives in the record),
  not of the cluster: a cluster-wide counter would put every claim in one
  Redis Cluster slot, and renew and release compare owner and token
  together, so a token need only differ between the claims of one session.

  Returns: the fencing token (> 0) when claimed;
           0 when the session is gone (the gateway gave up on it);
          -1 when a worker already owns it (this job ran twice).
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if redis.call('HEXISTS', KEYS[1], 'owner') == 1 then
  return -1
end
local fence = redis.call('HINCRBY', KEYS[1], 'fence', 1)
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'ownerProof', ARGV[2], 'state', 'live')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return fence
