--[[
  Takes a credential hand-off, once: whoever asks second, or after the TTL,
  finds nothing.

  KEYS[1] the hand-off        <p>:handoff:{handoffs}:<hash of its id>
  KEYS[2] pending hand-offs   <p>:handoffs:{handoffs}

  Returns: the sealed value, or false.
]]
redis.call('ZREM', KEYS[2], KEYS[1])
return redis.call('GETDEL', KEYS[1])
