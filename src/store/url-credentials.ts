/**
 * Store URLs in messages: the password is never printed.
 */

/** The URL with its password replaced by `***` (the user name is kept, to say who connects). */
export function redactUrlPassword(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_, credentials: string) => {
    const user = credentials.split(':')[0];
    return `//${user ? `${user}:` : ''}***@`;
  });
}
