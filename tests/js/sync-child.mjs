// A process that syncs users with a fileJournal, for sync.test.mjs to kill mid-run.
//   node sync-child.mjs MOCK_URL SCRIPT_ID USERS.json JOURNAL
import { readFileSync } from "node:fs";
import { syncUserStates, fileJournal } from "intune-script-user-state";

const [mock, scriptId, input, journal] = process.argv.slice(2);
await syncUserStates({
  token: "node-sync-token-3c9d2e7f",
  baseUrl: mock,
  scriptId,
  userStates: JSON.parse(readFileSync(input, "utf8")),
  deleteExtra: true,
  journal: fileJournal(journal),
});
