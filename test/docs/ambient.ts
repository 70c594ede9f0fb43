/**
 * The application a documentation example lives in: names the examples use without defining (an
 * order, a mailer, a logger). A program that uses any of them is compiled against these
 * declarations and not run. Kept small: an example that can define what it needs should.
 */
export function ambientDeclarations(redrive: string): string {
  return `
declare const store: import('${redrive}').SqliteStore;
declare const dlq: import('${redrive}').DeadLetterQueue;
declare const queue: import('${redrive}').Queue;
declare const worker: import('${redrive}').Worker;
declare const id: string;
declare const ids: string[];
declare const jobId: string;
declare const expectedGeneration: number;
type Charge = { orderId: string; amount: number };
declare const order: { id: string; total: number };
declare const user: { id: string };
declare const amount: number;
declare const token: string;
declare const url: string;
declare const headers: Record<string, string>;
declare const error: Error;
declare const log: {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
};
declare const mailer: { send(mail: { to: string; subject: string; signal?: AbortSignal }): Promise<{ messageId: string }> };
declare const payments: { charge(charge: unknown): Promise<void> };
declare function charge(payload: unknown, options: { signal: AbortSignal }): Promise<void>;
declare function resend(request: unknown): Promise<string>;
declare const metrics: { increment(name: string): void };
`;
}
