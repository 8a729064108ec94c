// A real OpenID Connect provider for the st.login test: oidc-provider (npm, pinned in package-lock.json)
// on 127.0.0.1. Usage: node provider.mjs PORT APP_PORT. Prints "ready" when it listens.
// Accounts are the login names typed in its own login form (devInteractions); their claims come from
// ACCOUNTS below, put in the ID token (conformIdTokenClaims: false), which is what Streamlit reads.
import Provider from 'oidc-provider';

const [port, appPort] = process.argv.slice(2).map(Number);
const app = `http://127.0.0.1:${appPort}`;
const ACCOUNTS = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'cruscotto',
    client_secret: 'segreto-solo-per-il-test',
    redirect_uris: [`${app}/oauth2callback`],
    post_logout_redirect_uris: [`${app}/oauth2callback`],   // Streamlit sends its redirect_uri after logout
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: { openid: ['sub'], email: ['email'], profile: ['name'], cruscotto: ['groups', 'enti'] },
  conformIdTokenClaims: false,
  cookies: { keys: ['chiave-dei-cookie-solo-per-il-test'] },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  pkce: { required: () => false },
  async findAccount(ctx, id) {
    const extra = ACCOUNTS[id] || {};
    return { accountId: id, async claims() { return { sub: id, email: `${id}@ente.example`, name: id, ...extra }; } };
  },
});
provider.listen(port, '127.0.0.1', () => console.log('ready'));
