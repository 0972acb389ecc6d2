import type { IncomingHttpHeaders } from 'node:http';
import { renderRecommendations } from '../pages/recommendations';

/** What a leak sees of each page request. */
export interface PageRequest {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

/** The two places a leak can hide in the demo: per-request work, and the product page's recommendations. */
export interface Leak {
  onRequest(request: PageRequest): void;
  recommendations(request: PageRequest, productId: number): string;
}

export interface LeakDefinition {
  readonly name: string;
  /** One sentence for `--help` and the logs. */
  readonly description: string;
  /** A fresh leak: state lives in the returned object, so two demos in one process do not share it. */
  create(): Leak;
}

/** The correct behaviour every leak starts from: no per-request state, recommendations rendered each time. */
export const NO_LEAK: Leak = {
  onRequest: () => undefined,
  recommendations: (_request, productId) => renderRecommendations(productId),
};
