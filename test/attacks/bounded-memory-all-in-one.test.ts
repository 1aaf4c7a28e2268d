import { describeMemoryAttacks } from './memory-attacks.js';

describeMemoryAttacks('all-in-one');
