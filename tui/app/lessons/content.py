"""The seven lessons and the closing exercise: what each one shows, asks and explains.

Prose conventions (see ``text.py``): a blank line separates paragraphs, ``- `` starts a bullet,
`backticks` mark keys and names, and ``[[label:key]]`` links a glossary term.
"""

from __future__ import annotations

from ...pki.vocabulary import Purpose
from . import checks as c
from .course import Lesson, Step
from .scenes import DEMO, PairScene, Scene

GOOD = Scene("good-chain.pem")
MTLS_SERVER = Scene("mtls-server-chain.pem", roots=("mtls-server-root.pem",), host="api.mtls.local", side="server")
MTLS_CLIENT = Scene("mtls-client-chain.pem", roots=("mtls-client-root.pem",), host=None, purpose=Purpose.CLIENT,
                    side="client")
MTLS_WRONG_TRUST = Scene("mtls-client-chain.pem", roots=("mtls-server-root.pem",), host=None, purpose=Purpose.CLIENT,
                         side="client")
MTLS_PAIR = PairScene("mtls-server-chain.pem", "mtls-server-root.pem", "mtls-client-reversed.pem",
                      "mtls-client-root.pem", host="api.mtls.local")
BOTH_SIDES = Step(
    "Both directions at once",
    "The mTLS screen shows both checks side by side: on the left the client checks the server, on the "
    "right the server checks the client. This client's chain is in the wrong order. Press `tab` until the "
    "right side has the focus, then press `o` to reorder that chain.",
    c.pair_repaired("client", "wrong-order"),
    "Both directions pass: the pair is OK. `chaindoctor mtls --server-chain S --server-trust T1 "
    "--client-chain C --client-trust T2 --app` opens this screen on your own files.",
    MTLS_PAIR,
)

ANATOMY = Lesson(
    "Anatomy of a certificate",
    "A certificate is a small signed card. It names its owner, the names it is valid for, who "
    "vouches for it and until when.\n\n"
    "On the left is a real server chain. The highlighted line at the bottom of the tree is the "
    "server's own certificate, the [[leaf:leaf]]. The Certificate pane shows its card:\n"
    "- `subject`: who it belongs to\n"
    "- `SAN`: the names it is valid for\n"
    "- `issuer`: who signed it\n"
    "- `validity`: not before, not after\n"
    "- `signature`: the issuer's seal",
    GOOD,
    (
        Step("Find who signed the leaf",
             "The leaf's `issuer` line names a CA. In the tree, that CA is the line just above the "
             "leaf. Highlight it (press `↑`).",
             c.highlighted(c.leaf_issuer),
             "Its `subject` is exactly the leaf's `issuer`, and `signed by … (signature verified)` "
             "means its public key checked the leaf's [[signature:signature]]. A CA between the root "
             "and the leaf is an [[intermediate CA:intermediate]]."),
        Step("Find the root",
             "Highlight the certificate at the very top of the tree: the one whose subject and issuer "
             "are the same.",
             c.highlighted(c.anchor),
             "That is the [[root:root]]. It signed itself, so only the client's own list of trusted "
             "roots vouches for it. `(from the trust store)`: it is not in the file, the client "
             "already has it."),
        Step("Look up a word",
             "Press `g` to open the glossary, type `SAN` and read the entry (Escape closes it).",
             c.glossary_shows("san"),
             # RFC 6125 6.4.4: with a DNS SAN present the CN is not checked; Chrome, Firefox and Go never
             # check it (chromestatus.com feature 4981025180483584; Go 1.15 release notes, crypto/x509).
             "The SAN, not the subject's CN, decides which names a certificate is valid for. Every "
             "finding's explanation lists its words: click one, or press `g`."),
    ),
    "A certificate: subject, SAN, issuer, validity and a public key, sealed by the issuer's "
    "signature. Next: how a client uses all this.",
)

# RFC 5280 6.1 (trust anchor, signatures, validity) and RFC 6125 6 (the name); a failed check ends the
# handshake with a fatal alert (RFC 8446 6.2). Seen with OpenSSL 3.0.19, curl, Python and OpenJDK 17.
CLIENT_CHECKS = Lesson(
    "How a client checks a server",
    "When you connect, the server sends its chain and your client checks three things:\n"
    "- trust: the signatures lead up to a root in the client's CA bundle, its [[trust store:trust-store]]\n"
    "- dates: every certificate is valid now\n"
    "- name: the leaf's SAN holds the name you connected to\n\n"
    "If any check fails, the client hangs up.",
    Scene("root-included.pem", roots=()),
    (
        Step("Trust the root",
             "This client's CA bundle is empty, so the verdict says `untrusted-root`, even though the "
             "server sent its root. Highlight the root (top of the tree) and press `t` to trust it, as "
             "if you added it to the CA bundle.",
             c.now_trusted,
             "The same chain is trusted now. Trust comes from the client's CA bundle, never from what "
             "the server sends. (The warning left, `contains-root`, is lesson 6.)"),
        Step("Spot the expired certificate",
             "Another server: its chain leads to a trusted root, but one certificate is out of date. "
             "Highlight the expired one (its dates are red).",
             c.highlighted(c.at_fault("expired")),
             "Every certificate must be valid now, intermediates too. The fix is the CA's current "
             "intermediate: same name, same key, new dates.",
             Scene("expired-intermediate.pem")),
        Step("Read why the name fails",
             "Now you connect to `billing.fin.service.local`. Press `tab` until the Findings table has "
             "the focus and highlight `hostname-mismatch`: its explanation is beside it.",
             c.finding_open("hostname-mismatch"),
             "The leaf's [[SAN:san]] lists only `orders.fin.service.local`. No chain repair helps: the "
             "server needs a certificate for the name its clients use.",
             Scene("good-chain.pem", host="billing.fin.service.local")),
    ),
    "A client checks trust, dates and the name. chaindoctor checks the same: `--roots` is the CA "
    "bundle, `--at` the time, `--host` the name.",
)

INTERMEDIATES = Lesson(
    "Intermediate CAs: why the server sends the chain",
    "A root's key is precious and kept offline, so a root signs a few intermediate CAs, and they "
    "sign the servers' certificates.\n\n"
    # RFC 8446 4.4.2 / RFC 5246 7.4.2: the server sends its chain, only the root may be left out.
    # Only Chromium fetches a missing intermediate itself (net/cert/cert_verify_proc_builtin.cc, AIA);
    # Firefox ships the public CAs' intermediates (Mozilla wiki: Intermediate Preloading).
    "A client's trust store holds roots, not intermediates. So the server must send its "
    "intermediates with its leaf: without them the client cannot link the leaf to a root it knows.",
    GOOD,
    (
        Step("Walk up the chain",
             "Highlight every certificate on the way from the leaf to the root, one after the other "
             "(`↑` in the tree).",
             c.walked_chain,
             "leaf ← `*.fin.service.local Intermediate CA` ← `*.service.local Intermediate CA` ← "
             "`*.local Root CA`: each one signed the one below it. That line is the "
             "[[chain:chain]]."),
        Step("See what the server sends",
             "Press `tab` to move to the Served order: the certificates as the server sends them. "
             "Highlight its last row.",
             c.highlighted(c.last_served, "served"),
             "The server sends the leaf and both intermediates, and stops there: the next link, the "
             "root, is already on every client that trusts it."),
    ),
    "Chain = leaf + intermediates (sent by the server) + root (held by the client).",
)

# Swapped intermediates: OpenSSL, Go, Java and Chromium rebuild the path (seen with OpenSSL 3.0.19 and
# OpenJDK 17; PKIXValidator.engineValidate), mbed TLS does not (x509_crt_find_parent searches child->next).
# A file whose first certificate is not the leaf fails everywhere: the server presents that first
# certificate as its own (nginx ngx_ssl_certificate; RFC 8446 4.4.2: the end-entity MUST be first).
ORDER = Lesson(
    "Order matters",
    "The server sends its chain as a list: the leaf first, then the CA that signed it, then the CA "
    "that signed that one.\n\n"
    "Many clients sort a wrong order out; some do not, and fail. This file has it upside down: "
    "the root's side first, the leaf last.",
    Scene("reversed.pem"),
    (
        Step("Find where the order breaks",
             "Press `tab` to move to the Served order and highlight the row marked `✗ not signed by "
             "the next`.",
             c.on_order_break,
             "Each row should be followed by the one that signed it. Here #1 is an intermediate, "
             "and the leaf comes last."),
        Step("Reorder",
             "Press `o` to reorder.",
             c.repaired("wrong-order"),
             "Leaf first, each followed by its issuer. Nothing was added or removed, and `u` undoes "
             "it."),
    ),
    "Leaf, then each signer in turn. A server presents the first certificate of its file as its own, "
    "so a file that starts with an intermediate fails everywhere. `o` fixes the order here; "
    "`chaindoctor fix` does it from the shell.",
)

MISSING = Lesson(
    "A missing intermediate",
    "The most common broken chain: the server does not send all its intermediates, so the path "
    "stops before it reaches a root.\n\n"
    # Chromium fetches the issuer from the AIA URL (net/cert/cert_verify_proc_builtin.cc TryBuildPath);
    # Firefox preloads public intermediates (Mozilla wiki: Intermediate Preloading). The error strings:
    # openssl crypto/x509/x509_txt.c (via curl and Python), golang/go crypto/x509/verify.go
    # UnknownAuthorityError, and OpenJDK 17 as seen on a chain without its intermediate.
    "Chrome and Edge often patch this by fetching the missing CA from the address in the certificate "
    "([[AIA:aia]]), and Firefox ships the public CAs' intermediates. curl and Python fail with "
    "`unable to get local issuer certificate`, Go with `x509: certificate signed by unknown "
    "authority`, Java with `unable to find valid certification path to requested target`.",
    Scene("missing-intermediate.pem", search=("service-intermediate.pem",)),
    (
        Step("Find the gap",
             "Highlight the `⚠ missing` line at the top of the tree.",
             c.on_missing_node,
             "It names the CA that should come after the last certificate sent. The lines below it "
             "say where to get it: the AIA address, and a file in the search path."),
        Step("Complete the chain",
             "Press `c` to complete the chain.",
             c.repaired("missing-intermediate"),
             "The missing intermediate came from the search path (`--search`). With `--aia` "
             "chaindoctor may fetch it from the network, after asking. The chain reaches the root "
             "now."),
    ),
    "A missing intermediate can work in a browser and fails in curl, Python, Go and Java. `c` "
    "completes the chain from `--search` files, the trust store or (with `--aia`) the network.",
)

ROOT_IN_CHAIN = Lesson(
    "A root in the chain",
    # RFC 8446 4.4.2: a trust anchor MAY be left out. Seen with OpenSSL 3.0.19, curl, Python and
    # OpenJDK 17: a chain with the root included is accepted; an untrusted root sent along is refused.
    "Some servers send the root too. OpenSSL, Go and Java accept the extra copy, but it costs bytes "
    "on every connection, and it proves nothing: a client trusts a root because the root is in its "
    "own CA bundle, not because a server sent it.",
    Scene("root-included.pem"),
    (
        Step("Find the root",
             "Press `tab` to move to the Served order and highlight the root (its role says `root`).",
             c.highlighted(c.anchor, "served"),
             "It is self-signed and a trust anchor: clients have it already."),
        Step("Drop it",
             "Press `r` to drop the root from the chain.",
             c.repaired("contains-root"),
             "Three certificates are served now. `r` again puts it back, for a file that must also "
             "serve as a CA bundle (`chaindoctor fix --keep-root`)."),
    ),
    "Send the leaf and the intermediates; leave the root to the clients.",
)

MTLS = Lesson(
    "mTLS: both sides check each other",
    "In mutual TLS ([[mTLS:mtls]]) the client has a certificate too. Two chains, two CA bundles:\n"
    "- the client checks the server's chain with its CA bundle (purpose: server)\n"
    "- the server checks the client's chain with its client-CA bundle (purpose: client; the leaf "
    "needs the `clientAuth` [[EKU:eku]])",
    MTLS_SERVER,
    (
        Step("The client's side",
             "You are the client. This is the server's chain. Highlight the root your CA bundle must "
             "hold to accept this server.",
             c.highlighted(c.anchor),
             "`mTLS Server Root CA`: the client trusts the server through it."),
        Step("The server's side",
             "Now you are the server, and this is the client's chain (judged for purpose client). "
             "Highlight the root the server must trust to accept this client.",
             c.highlighted(c.anchor),
             # openssl ssl/ssl_cert.c ssl_verify_cert_chain: a server checks the ssl_client purpose.
             "`mTLS Client Root CA`: another root. Each side needs the other side's root. The "
             "client's leaf has `EKU: clientAuth` (see the Certificate pane); OpenSSL-based servers "
             "refuse a client certificate whose EKU leaves it out.",
             MTLS_CLIENT),
        Step("A classic mistake",
             "The server was given its own root as its client-CA bundle. The client's chain now stops "
             "short: highlight the `⚠ missing` line, which names the root the server lacks.",
             c.on_missing_node,
             # openssl ssl/statem/statem_lib.c x509table: unable to get local issuer -> unknown_ca alert.
             "The server would reject this client (`unknown ca`). The fix is in the server's "
             "configuration, not in the client's chain: add `mTLS Client Root CA` to the server's "
             "client-CA bundle (nginx: `ssl_client_certificate`).",
             MTLS_WRONG_TRUST),
        BOTH_SIDES,
    ),
    "`chaindoctor mtls --server-chain S --server-trust T1 --client-chain C --client-trust T2` "
    "checks both directions at once.",
)

# The demo (sample_certs/demo.pem): fin int, leaf, root, service int, fin int. A server presents the first
# certificate of its file as its own, so nginx would refuse the leaf's key (ngx_ssl_certificate,
# X509_check_private_key: key values mismatch) and no client would get the leaf first (RFC 8446 4.4.2).
FINAL = Lesson(
    "Your turn: a chain file put together by hand",
    "This is chaindoctor's demo: a server's chain file assembled by hand. An intermediate sits "
    "above the server's own certificate, the root was pasted in, and one intermediate is there "
    "twice. A server takes the "
    "first certificate of its file as its own, so it would present the intermediate instead of "
    "its certificate, and nginx would not even start because the key belongs to the leaf.\n\n"
    "No more hints: read the verdict, the tree, the served order and the findings, and repair it. "
    "`u` undoes a step.",
    DEMO,
    (
        Step("Fix it on your own",
             "Repair the chain until the Findings table says `✓ none`.",
             c.spotless,
             "Complete, in order, trusted, nothing extra. `s` would save it.\n\n"
             "On your own files: `chaindoctor CHAIN.pem --roots CA.pem --host NAME` opens them here, "
             "and `chaindoctor fix CHAIN.pem -o FIXED.pem` repairs them in a script."),
    ),
    "You can read a chain and fix it. `l` lists the lessons, `g` opens the glossary, `?` the keys.",
    final=True,
)

LESSONS: tuple[Lesson, ...] = (ANATOMY, CLIENT_CHECKS, INTERMEDIATES, ORDER, MISSING, ROOT_IN_CHAIN, MTLS, FINAL)
