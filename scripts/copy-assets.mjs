// tsc compiles TypeScript only; the Lua scripts the session store loads at
// run time are copied beside their compiled module.
import { cpSync } from 'node:fs';

cpSync('shared/session-store/scripts', 'dist/shared/session-store/scripts', { recursive: true });
