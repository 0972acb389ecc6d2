/** An AgentLogger that keeps test output clean. */
export const silentLogger = { info: () => undefined, warn: () => undefined };
