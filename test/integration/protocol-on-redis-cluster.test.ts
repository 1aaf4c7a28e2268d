/**
 * The whole WebSSH2 protocol suite (protocol-suite.ts) through a cluster of
 * two gateways and two workers on a Redis Cluster of three masters with a
 * replica each: every script, transaction and BullMQ step has to keep its
 * keys in one slot, or Redis refuses it with CROSSSLOT.
 */
import { protocolSuite } from './protocol-suite.js';

protocolSuite('WebSSH2 protocol (cluster on a Redis Cluster)', 'cluster', { redisTopology: 'cluster' });
