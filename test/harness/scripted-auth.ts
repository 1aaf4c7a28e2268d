import ssh2, { type AuthContext, type ParsedKey } from 'ssh2';

export interface ScriptedCredentials {
  user: string;
  password: string;
  otp: string;
  /** OpenSSH public key line of the only key 'key-only' accepts. */
  clientPublicKey: string;
  /** Keyboard-interactive rounds an 'endless-rounds' server has had answered. */
  roundsServed?: number;
}

export type AuthScheme = 'two-factor' | 'key-only' | 'password' | 'endless-rounds';

/** Returns an 'authentication' handler implementing one scheme, and nothing else. */
export function authenticator(scheme: AuthScheme, credentials: ScriptedCredentials): (ctx: AuthContext) => void {
  switch (scheme) {
    case 'two-factor':
      return (ctx) => passwordThenOtp(ctx, credentials);
    case 'key-only':
      return publicKeyOnly(credentials);
    case 'endless-rounds':
      // A hostile server: keyboard-interactive rounds with nothing to answer, for ever.
      return (ctx) => {
        if (ctx.method !== 'keyboard-interactive') return ctx.reject(['keyboard-interactive']);
        const round = () => ctx.prompt([], 'Still checking', '', () => {
          credentials.roundsServed = (credentials.roundsServed ?? 0) + 1;
          round();
        });
        round();
      };
    case 'password':
      return (ctx) => {
        if (ctx.method !== 'password') return ctx.reject(['password']);
        if (ctx.username === credentials.user && ctx.password === credentials.password) return ctx.accept();
        ctx.reject(['password']);
      };
  }
}

function passwordThenOtp(ctx: AuthContext, { user, password, otp }: ScriptedCredentials): void {
  if (ctx.method !== 'keyboard-interactive') return ctx.reject(['keyboard-interactive']);
  ctx.prompt([{ prompt: 'Password: ', echo: false }], (passwordAnswers) => {
    if (ctx.username !== user || passwordAnswers[0] !== password) return ctx.reject(['keyboard-interactive']);
    ctx.prompt(
      [{ prompt: 'Verification code: ', echo: true }],
      '',
      'Enter the code from your authenticator',
      (codeAnswers) => {
        if (codeAnswers[0] === otp) return ctx.accept();
        ctx.reject(['keyboard-interactive']);
      },
    );
  });
}

function publicKeyOnly({ user, clientPublicKey }: ScriptedCredentials): (ctx: AuthContext) => void {
  const allowedKey = parsePublicKey(clientPublicKey);
  return (ctx) => {
    if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
    const sameKey = ctx.key.algo === allowedKey.type && ctx.key.data.equals(allowedKey.getPublicSSH());
    if (ctx.username !== user || !sameKey) return ctx.reject(['publickey']);
    // Without a signature the client only asks whether this key would be acceptable.
    if (ctx.signature === undefined || ctx.blob === undefined) return ctx.accept();
    if (allowedKey.verify(ctx.blob, ctx.signature, ctx.hashAlgo)) return ctx.accept();
    ctx.reject(['publickey']);
  };
}

function parsePublicKey(openSshLine: string): ParsedKey {
  const parsed = ssh2.utils.parseKey(openSshLine);
  if (parsed instanceof Error) throw parsed;
  return parsed;
}
