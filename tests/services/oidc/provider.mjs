// A real OpenID Provider on 127.0.0.1 for the desk's st.login tests: panva's oidc-provider (OpenID Certified),
// with its development login form (any login name, any password: the name is the account's e-mail).
//
//   OP_PORT=9000 OP_CLIENT_ID=desk OP_CLIENT_SECRET=... OP_REDIRECT_URI=http://127.0.0.1:8501/oauth2callback \
//   OP_NAMES='{"a@x.go.id": "Ani"}' node provider.mjs
//
// Like Google Workspace and Microsoft Entra, the ID token carries the e-mail (conformIdTokenClaims off), and
// RP-initiated logout (end_session_endpoint) is on, which st.logout uses.
import Provider from "oidc-provider";

const port = Number(process.env.OP_PORT);
const issuer = `http://127.0.0.1:${port}`;
const names = JSON.parse(process.env.OP_NAMES || "{}");

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OP_CLIENT_ID,
    client_secret: process.env.OP_CLIENT_SECRET,
    redirect_uris: [process.env.OP_REDIRECT_URI],
    post_logout_redirect_uris: [process.env.OP_REDIRECT_URI],
    response_types: ["code"],
    grant_types: ["authorization_code"],
    token_endpoint_auth_method: "client_secret_basic",
  }],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  conformIdTokenClaims: false,
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, email: sub, email_verified: true, name: names[sub] || sub }),
  }),
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  pkce: { required: () => false },
  cookies: { keys: ["test-only-cookie-key"] },
});
provider.proxy = false;
provider.listen(port, "127.0.0.1", () => console.log(`oidc-provider ready at ${issuer}`));
