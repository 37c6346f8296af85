// lint-cypher.mjs checks every statement of package neo4j with Neo4j's own
// Cypher front end (the parser and semantic analysis the server runs,
// compiled to JavaScript), for Cypher 5 and Cypher 25, without a server:
//
//   go test ./graph/neo4j -run TestStatementsGolden -dump-statements /tmp/cypherlint/statements.json
//   npm install --prefix /tmp/cypherlint @neo4j-cypher/language-support@2.0.0-next.38
//   cp graph/neo4j/testdata/lint-cypher.mjs /tmp/cypherlint/ && node /tmp/cypherlint/lint-cypher.mjs /tmp/cypherlint/statements.json
//
// It prints every diagnostic (errors and warnings) and exits 1 if any.
import { lintCypherQuery } from '@neo4j-cypher/language-support';
import fs from 'node:fs';

const statements = JSON.parse(fs.readFileSync(process.argv[2]));
const schema = {
  labels: ['User', 'Account', 'Card', 'Device', 'IP', 'Merchant', 'Email', 'Phone', 'Transaction',
    'RiskgraphPendingLabel', 'RiskgraphGraph'],
  relationshipTypes: ['BY', 'FROM', 'TO', 'WITH_CARD', 'ON_DEVICE', 'FROM_IP', 'AT', 'WITH_EMAIL', 'WITH_PHONE'],
  parameters: { g: '', id: '', n: 0, seq: 0, batch: [], page: 0, after: '', since: 0, until: 0, upto: 0,
    limit: 0, timeout: 0, arrival: 0 },
};
let bad = 0;
for (const version of ['CYPHER 5', 'CYPHER 25']) {
  for (const st of statements) {
    const { diagnostics } = lintCypherQuery(st.Cypher, { ...schema, defaultLanguage: version });
    // The linter has no procedure list without a server.
    const ds = diagnostics.filter((d) => !/Procedure db\.awaitIndexes is not present/.test(d.message));
    for (const d of ds) {
      console.log(`${version} ${st.Name}: ${d.message.replace(/\n/g, ' ')} (line ${d.range.start.line + 1})`);
    }
    if (ds.length) bad++;
  }
}
console.log(`${statements.length} statements checked for Cypher 5 and 25; ${bad} with diagnostics`);
process.exit(bad ? 1 : 0);
