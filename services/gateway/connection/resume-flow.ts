/**
 * A resume through this connection (session-extension.md): re-attach to a
 * live session by id, token and offset, through any gateway. The token is
 * checked here in constant time against the newest hash or the one it
 * replaced (while the client has not shown it got the newest), the record's
 * owner against its proof, and rotated compare-and-set; the owner worker is
 * asked, with a signed attach, to carry on from the client's offset.
 */
import type { ToGateway } from '../../../shared/bus/messages.js';
import { newResumeToken } from '../../../shared/crypto/resume-token.js';
import type { ResumeFailureReason } from '../../../shared/protocol/events.js';
import type { SessionResumePayload } from '../../../shared/protocol/inbound.js';
import { RESUME_ANSWER_TIMEOUT_MS } from '../../../shared/protocol/limits.js';
import type { ConnectionContext } from './context.js';

export class ResumeFlow {
  private answerTimer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: ConnectionContext) {}

  async resume(request: SessionResumePayload, started: Promise<void>): Promise<void> {
    const { ctx } = this;
    await started;
    if (ctx.state.phase !== 'awaiting-auth') return ctx.tell('This socket already carries a session');
    const { store, tokenHasher, proofs } = ctx.parts;
    const sid = request.sessionId;
    const refuse = (reason: ResumeFailureReason, message: string) => {
      ctx.parts.metrics.resumeFinished(reason);
      ctx.complaints.info({ event: 'resume-failed', sid, reason }, 'resume refused');
      ctx.answer(() => ctx.socket.emit('session:resume-failed', { reason, message }));
    };
    ctx.state.phase = 'resuming';
    try {
      const found = await store.lookup(sid);
      if (ctx.state.phase !== 'resuming') return; // the socket went meanwhile
      if (found.status === 'unknown') return refuse('unknown', 'No such session');
      if (found.status === 'ended') return refuse('expired', `The session has ended: ${found.reason}`);
      if (found.status === 'pending') return refuse('busy', 'The session is still logging in');
      // The newest token, or the one it replaced while the client has not shown it got the newest.
      const presented = [found.tokenHash, found.priorTokenHash].find((hash) => hash !== undefined && tokenHasher.matches(sid, request.resumeToken, hash));
      if (!presented) return refuse('forbidden', 'The resume token is not valid for this session');
      if (!proofs.ownerMatches(sid, found.owner, found.ownerProof)) {
        ctx.log.error({ sid, owner: found.owner, event: 'forged-owner' }, "the session record's owner has no valid proof: refusing to send anything there");
        return refuse('forbidden', 'The session record failed its integrity check');
      }
      const token = newResumeToken();
      const tokenHash = tokenHasher.hash(sid, token);
      const rotated = await store.rotateToken(sid, presented, tokenHash, ctx.gatewayAddress);
      if (rotated === 'gone') return refuse('expired', 'The session has ended');
      if (rotated === 'changed') return refuse('busy', 'Another resume of this session is in progress');
      // The socket went meanwhile: its client still holds the token it presented, which stays valid.
      if (ctx.state.phase !== 'resuming') return;
      if (!ctx.routes.beginResume(sid, ctx.connection)) return refuse('busy', 'Another resume of this session is in progress');
      ctx.state.sid = sid;
      ctx.state.resumeToken = token;
      ctx.state.tokenHash = tokenHash;
      ctx.outbox.reset(found.owner);
      this.answerTimer = setTimeout(() => this.failed('busy', "The session's worker did not answer in time", 'unknown'), RESUME_ANSWER_TIMEOUT_MS);
      ctx.toWorker(ctx.attachMessage(sid, request.offset));
    } catch (error) {
      ctx.log.warn({ sid, err: (error as Error).message }, 'resume failed on the session store');
      refuse('busy', 'The session directory is unreachable; try again');
    } finally {
      if (ctx.state.phase === 'resuming' && ctx.state.sid !== sid) ctx.state.phase = 'awaiting-auth';
    }
  }

  /** The worker's answer to the attach. */
  deliver(message: Extract<ToGateway, { type: 'attached' | 'attach-failed' }>): void {
    if (message.type === 'attached') this.resumed(message.offset, message.inputOffset, message.inputTaken);
    else this.failed(message.reason, message.message, 'refused');
  }

  /**
   * The resume ends without the session: the worker refused (`refused`), or
   * its answer never came or can no longer matter (`unknown`).
   */
  failed(reason: ResumeFailureReason, message: string, outcome: 'refused' | 'unknown'): void {
    const { ctx } = this;
    if (ctx.state.phase !== 'resuming') return;
    clearTimeout(this.answerTimer);
    const sid = ctx.state.sid!;
    // Without an answer the attach may still happen: the session must then
    // wait for the next resume (a worker carried by another gateway ignores
    // this), and the token the client presented still opens it.
    if (outcome === 'unknown') ctx.toWorker({ type: 'detach', sid });
    ctx.routes.abandonResume(sid, ctx.connection, outcome);
    ctx.forgetSession();
    ctx.state.phase = 'awaiting-auth';
    ctx.state.resumeToken = '';
    ctx.parts.metrics.resumeFinished(reason);
    ctx.log.info({ event: 'resume-failed', sid, reason }, 'resume refused');
    ctx.socket.emit('session:resume-failed', { reason, message });
  }

  /** Nothing of the resume may linger (the socket is going away). */
  abandon(): void {
    clearTimeout(this.answerTimer);
  }

  private resumed(offset: number, inputOffset: number, inputTaken: number): void {
    const { ctx } = this;
    if (ctx.state.phase !== 'resuming') return;
    clearTimeout(this.answerTimer);
    ctx.state.phase = 'live';
    const { sid, tokenHash } = ctx.state;
    ctx.routes.completeResume(sid!, ctx.connection);
    ctx.streams.restart(offset, inputOffset, inputTaken);
    ctx.socket.emit('session:resumed', { offset, inputOffset });
    ctx.announceSession();
    // The token this resume replaced stays valid until the client has shown
    // it holds the new one: a socket lost before that must not leave a
    // session with a token nobody holds.
    ctx.streams.receipts.afterReceipt(() => {
      ctx.parts.store.confirmToken(sid!, tokenHash).catch((error: Error) => ctx.log.warn({ sid, err: error.message }, 'could not retire the prior resume token'));
    });
    ctx.parts.metrics.resumeFinished('resumed');
    ctx.log.info({ event: 'session-resumed', sid, offset, inputOffset }, 'session resumed');
  }
}
