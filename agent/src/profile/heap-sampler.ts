import { Session } from 'node:inspector';

/** The sampling interval when none is configured: see docs/agent.md "Heap profiles" for the measurement. */
export const DEFAULT_HEAP_SAMPLING_INTERVAL_BYTES = 2 * 1024 * 1024;

/** V8's `HeapProfiler.SamplingHeapProfile`, as `.heapprofile` files hold it. */
export interface SamplingHeapProfile {
  readonly head: SamplingHeapProfileNode;
  readonly samples: ReadonlyArray<{ readonly size: number; readonly nodeId: number; readonly ordinal: number }>;
}

export interface SamplingHeapProfileNode {
  readonly callFrame: {
    readonly functionName: string;
    readonly scriptId: string;
    readonly url: string;
    readonly lineNumber: number;
    readonly columnNumber: number;
  };
  readonly selfSize: number;
  readonly id: number;
  readonly children: readonly SamplingHeapProfileNode[];
}

/**
 * V8's sampling heap profiler on this process's main thread, through the built-in inspector (no native addon). It
 * samples about one allocation per `intervalBytes` with its stack and keeps the samples whose objects are alive.
 * One per process, shared by every admin endpoint: V8 has one profiler per isolate.
 */
class HeapSampler {
  private session?: Session;
  private users = 0;

  constructor(readonly intervalBytes: number) {}

  start(): void {
    this.users++;
    if (this.session) return;
    const session = new Session();
    session.connect();
    post(session, 'HeapProfiler.enable');
    // Objects that die in the young generation are dropped from the profile at the next GC, as designed.
    post(session, 'HeapProfiler.startSampling', { samplingInterval: this.intervalBytes });
    this.session = session;
  }

  /** The live sampled allocations; V8 runs a full GC first. */
  read(): SamplingHeapProfile {
    if (!this.session) throw new Error('the heap sampler is not running');
    return (post(this.session, 'HeapProfiler.getSamplingProfile') as { profile: SamplingHeapProfile }).profile;
  }

  stop(): void {
    this.users = Math.max(0, this.users - 1);
    if (this.users > 0 || !this.session) return;
    const session = this.session;
    this.session = undefined;
    try {
      post(session, 'HeapProfiler.stopSampling');
    } finally {
      session.disconnect();
    }
  }
}

/** Commands to the inspector of the thread itself are answered before `post` returns. */
function post(session: Session, method: string, params?: object): unknown {
  let outcome: { error: Error | null; result: unknown } | undefined;
  session.post(method, params, (error, result) => {
    outcome = { error, result };
  });
  if (!outcome) throw new Error(`the inspector did not answer ${method} synchronously`);
  if (outcome.error) throw outcome.error;
  return outcome.result;
}

let shared: HeapSampler | undefined;

/**
 * Starts (or joins) the process's heap sampler. The first caller's interval holds until every user stopped.
 * Returns the function that leaves it.
 */
export function joinHeapSampler(intervalBytes: number): {
  readonly sampler: Pick<HeapSampler, 'read' | 'intervalBytes'>;
  leave(): void;
} {
  shared ??= new HeapSampler(intervalBytes);
  const sampler = shared;
  sampler.start();
  let left = false;
  return {
    sampler,
    leave: () => {
      if (left) return;
      left = true;
      sampler.stop();
    },
  };
}
