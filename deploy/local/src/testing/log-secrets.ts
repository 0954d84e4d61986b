/**
 * Configured secrets found in service log lines. Every harness checks its services' logs
 * with this when it stops, so any test whose flow logs a secret (a request header, a key
 * in an error, a config dump) fails, whatever the test itself asserts.
 */
export function secretsInLogs(lines: readonly string[], secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(secrets)) {
    // Short values would match by accident; every configured secret here is long.
    if (value.length < 12) continue;
    const line = lines.find((l) => l.includes(value));
    if (line) found.push(`${name} in: ${line.slice(0, 200)}`);
  }
  return found;
}
