// A throw-away atproto network for the `pds` tests: PLC (in memory) + PDS (sqlite and
// blobs under $TMPDIR), no AppView. Creates the school's account and an app password,
// writes them as JSON to $BSKY_LOCAL_CREDS, prints READY, and closes on SIGTERM.
// Run with `node --require ./loopback-only.cjs start-network.mjs` so that nothing
// listens beyond 127.0.0.1. Ports: $PLC_PORT and $PDS_PORT (the fixture picks free ones).
import fs from 'node:fs/promises'
import { TestNetworkNoAppView } from '@atproto/dev-env'

const started = Date.now()
const PDS_PORT = Number(process.env.PDS_PORT || 2583)
const network = await TestNetworkNoAppView.create({
  plc: { port: Number(process.env.PLC_PORT || 2582) },
  pds: { port: PDS_PORT },
})

// Handles must end in .test; some generic ones ('school') are reserved by the PDS.
const handle = process.env.BSKY_LOCAL_HANDLE || 'riverside-primary.test'
let account, appPassword
try {
  const agent = network.pds.getAgent()
  account = await agent.createAccount({
    handle, email: 'office@riverside-primary.test', password: 'local-dev-password',
  })
  appPassword = await agent.com.atproto.server.createAppPassword({ name: 'trip-companion' })
} catch (err) {
  console.error('account setup failed:', err)
  await network.close()
  process.exit(1)
}

await fs.writeFile(process.env.BSKY_LOCAL_CREDS || 'creds.json', JSON.stringify({
  pds_url: `http://127.0.0.1:${PDS_PORT}`,
  handle,
  did: account.data.did,
  app_password: appPassword.data.password,
}, null, 2))
console.log(`READY pds=127.0.0.1:${PDS_PORT} did=${account.data.did} ms=${Date.now() - started}`)

let closing = false
const shutdown = async (signal) => {
  if (closing) return
  closing = true
  console.log(`${signal}: closing network`)
  try { await network.close() } catch (err) { console.error('close error', err) }
  process.exit(0)
}
process.on('SIGTERM', () => shutdown('SIGTERM'))
process.on('SIGINT', () => shutdown('SIGINT'))
