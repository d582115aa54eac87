// One createUserStates run with a fileJournal, for safe.test.mjs to start twice at once or to
// kill mid-run: prints one JSON line saying how the run ended.
//   node safe-child.mjs MOCK_URL SCRIPT_ID USERS.json JOURNAL TOKEN
import { readFileSync } from "node:fs";
import { createUserStates, fileJournal } from "intune-script-user-state";

const [mock, scriptId, input, journal, token] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + "\n");
try {
  const out = await createUserStates({
    token,
    baseUrl: mock,
    scriptId,
    userStates: JSON.parse(readFileSync(input, "utf8")),
    journal: fileJournal(journal),
    onProgress: () => say({ progress: true }),
  });
  say({ ran: true, succeeded: out.succeeded, failed: out.failed });
} catch (e) {
  say({ ran: false, name: e.name, field: e.field, message: e.message, cause: e.cause?.code, lockPath: e.cause?.lockPath });
}
