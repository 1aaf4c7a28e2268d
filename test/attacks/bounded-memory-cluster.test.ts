import { describeMemoryAttacks } from './memory-attacks.js';

describeMemoryAttacks('cluster');
