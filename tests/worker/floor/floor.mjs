// A constant answer shaped like GET /api/health's, for the benchmark's floor.
const body = '{\n  "status": "ok"\n}\n';

export default {
  fetch() {
    return new Response(body, { headers: { 'Content-Type': 'application/json' } });
  },
};
