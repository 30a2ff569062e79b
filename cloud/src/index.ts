/**
 * The functions entry point (`--source=cloud/src/index.ts`): importing it registers every
 * function with functions-framework by name (`--target=ingest|notify|triage|api`; `api` is
 * the HTTP function serving /v1 and the console). Each module builds its adapters lazily from
 * the environment on its first event or request, so loading all four in every instance costs
 * only module evaluation.
 */
import './functions/ingest/index.ts';
import './functions/notify/index.ts';
import './functions/triage/index.ts';
import './api/index.ts';
