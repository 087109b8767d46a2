/**
 * Opening a report in a real browser: Debian's chromium driven by playwright-core, with every
 * network feature off (nothing outside is reachable here, and the report must not need it).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. In CI they always run. */
export function browserSkipReason(): string | undefined {
  if (process.env.CI === 'true' || existsSync(CHROMIUM)) return undefined;
  return `${CHROMIUM} is absent (apt-get install -y --no-install-recommends chromium); browser tests skipped outside CI`;
}

/** A fresh profile each time (Playwright passes it as --user-data-dir). */
export async function launchChromium(): Promise<{ context: BrowserContext; profile: string }> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'retort-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return { context, profile };
}
