/**
 * The application a documentation example lives in: names the examples use without defining (an
 * order, a mailer, a logger). A program that uses any of them is compiled against these
 * declarations and not run. Kept small: an example that can define what it needs should.
 */
export const AMBIENT_DECLARATIONS = `
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
`;
