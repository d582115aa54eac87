// A process that imports users with a fileJournal, for journal.test.mjs to kill mid-run.
//   node import-child.mjs MOCK_URL SCRIPT_ID USERS.json JOURNAL
import { readFileSync } from "node:fs";
import { createUserStates, fileJournal } from "intune-script-user-state";

const [mock, scriptId, input, journal] = process.argv.slice(2);
await createUserStates({
  token: "node-journal-token-5b7e9a1c",
  baseUrl: mock,
  scriptId,
  userStates: JSON.parse(readFileSync(input, "utf8")),
  journal: fileJournal(journal),
});
