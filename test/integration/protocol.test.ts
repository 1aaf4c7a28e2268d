/** The WebSSH2 protocol suite (protocol-suite.ts) through the all-in-one process and through a cluster on one redis-server. */
import { protocolSuite } from './protocol-suite.js';

protocolSuite('WebSSH2 protocol (all-in-one)', 'all-in-one');
protocolSuite('WebSSH2 protocol (cluster)', 'cluster');
