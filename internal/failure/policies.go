package failure

import (
	"strconv"
	"strings"
)

// Policy is one row of the failure model: whether a call that failed this
// way is sent again, and what the user reads when it failed for good.
type Policy struct {
	// RetrySafe: a request that is safe to resend (a GET, the DELETE of one
	// sharing, the Keystone login) is sent again, within the budget.
	RetrySafe bool
	// RetryUnsafe: what happens to a request that is not (a create).
	RetryUnsafe Resend
	// ShortBudget retries within RetryOptions.RefusedTotalWait instead of
	// the whole budget: nothing answered, which a restart fixes in seconds
	// and a wrong address never does.
	ShortBudget bool

	// Summary and Check are the diagnostic for a VBS call; LoginSummary and
	// LoginCheck, when set, replace them for the Keystone login (or, with
	// AK/SK, the signed catalog call that stands in for it). They are
	// templates over Vars: {doing}, {service}, {addr}, {cause}, {endpoint},
	// {credentials}, {project}, {status}, {call}.
	Summary, Check           string
	LoginSummary, LoginCheck string
	// Attribute is the provider attribute the diagnostic points at, "" for
	// none; LoginAttribute likewise for the login.
	Attribute, LoginAttribute string
}

// Vars fill a policy's templates.
type Vars struct {
	// Doing is the work, capitalised: "Reading backup sharing <id>".
	Doing string
	// Service is "Keystone" or "the VBS API".
	Service string
	Addr    string
	Cause   string
	// Endpoint names the setting that chose Addr.
	Endpoint string
	// Credentials names the settings behind the credentials in use.
	Credentials string
	// Project is " in project <id>", or "" before the login.
	Project string
	Status  int
	// Call is the failed request, "POST https://…/v3/auth/tokens", when an
	// answer came.
	Call string
}

// Render fills the templates for a VBS call, or for the login when login is
// set.
func (p Policy) Render(v Vars, login bool) (summary, detail, attribute string) {
	summary, detail, attribute = p.Summary, p.Check, p.Attribute
	if login && p.LoginSummary != "" {
		summary, detail = p.LoginSummary, p.LoginCheck
	}
	if login && p.LoginAttribute != "" {
		attribute = p.LoginAttribute
	}
	r := strings.NewReplacer("{doing}", v.Doing, "{service}", v.Service, "{addr}", v.Addr, "{cause}", v.Cause,
		"{endpoint}", v.Endpoint, "{credentials}", v.Credentials, "{project}", v.Project, "{status}", strconv.Itoa(v.Status), "{call}", v.Call)
	return r.Replace(summary), r.Replace(detail), attribute
}

const tlsAdvice = "If the cloud uses a private certificate authority, set cacert_file (OS_CACERT) to its PEM file; on a " +
	"test cloud only, insecure = true (OS_INSECURE) skips verification. A server that asks for a client certificate " +
	"takes cert and key (OS_CERT, OS_KEY)."

// Policies is the failure model, one row per class. The retry transport
// reads RetrySafe, RetryUnsafe and ShortBudget, writes read WriteOutcome
// (derived from RetryUnsafe), and the diagnostics render the texts; the
// provider's TestRetryAndReportingAgreeAboutEveryClass checks that each
// class is retried and reported as its row says.
var Policies = map[Class]Policy{
	Other: {
		RetrySafe: false, RetryUnsafe: ReconcileFirst,
		Summary: "{doing} failed",
		Check:   "{doing} failed{project}.",
	},
	Cancelled: {
		RetrySafe: false, RetryUnsafe: ReconcileFirst,
		Summary: "{doing} was interrupted",
		Check:   "Terraform stopped the provider (for example after Ctrl-C) before this finished.",
	},
	Deadline: {
		RetrySafe: false, RetryUnsafe: ReconcileFirst,
		Summary: "{doing} timed out",
		Check:   "It did not finish within the time its timeout allows.",
	},
	NoSuchHost: {
		RetrySafe: false, RetryUnsafe: NotResent,
		Summary:        "Cannot reach {service} at {addr}",
		Check:          "{doing} failed: {cause}. Is {endpoint} right?",
		Attribute:      "endpoints",
		LoginAttribute: "auth_url",
	},
	Unreachable: {
		RetrySafe: true, RetryUnsafe: ResentIfNotSent,
		ShortBudget: true,
		Summary:     "Cannot reach {service} at {addr}",
		Check: "{doing} failed: {cause}. Is {endpoint} right, and is the network to {addr} reachable " +
			"(proxy, VPN, firewall)?",
		Attribute:      "endpoints",
		LoginAttribute: "auth_url",
	},
	TLS: {
		RetrySafe: false, RetryUnsafe: NotResent,
		Summary:   "TLS verification failed for {service} at {addr}",
		Check:     "{doing} failed: {cause}. " + tlsAdvice,
		Attribute: "cacert_file",
	},
	ConnectionLost: {
		RetrySafe: true, RetryUnsafe: ReconcileFirst,
		Summary: "{doing} failed: the connection to {service} was lost",
		Check: "The connection to {addr} broke before {service} answered ({cause}). A proxy, load balancer or " +
			"firewall on the way may be dropping connections; check the network path to {addr}.",
	},
	EmptyBody: {
		RetrySafe: true, RetryUnsafe: ReconcileFirst,
		Summary: "{doing} failed: the answer from {service} was empty",
		Check: "{service} answered HTTP {status} without the body it should carry. A proxy or load balancer on the " +
			"way to {addr} may be dropping bodies.",
	},
	NotJSON: {
		RetrySafe: true, RetryUnsafe: ReconcileFirst,
		Summary: "{doing} failed: the answer from {service} was not JSON",
		Check: "{service} answered HTTP {status} with a body that is not the JSON expected, often a proxy's page. " +
			"Check that the endpoint {addr} is the VBS API and not a proxy or portal in front of it.",
	},
	CutBody: {
		RetrySafe: true, RetryUnsafe: ReconcileFirst,
		Summary: "{doing} failed: the answer from {service} was cut off",
		Check: "{service} began to answer but the connection closed before the answer was complete. A proxy or " +
			"load balancer on the way to {addr} may be cutting answers short.",
	},
	Throttled: {
		RetrySafe: true, RetryUnsafe: ResentIfNotSent,
		Summary: "{doing} was throttled",
		Check: "{service} answered 429 Too Many Requests{project} and did not let up within the retries and the time " +
			"allowed. Run Terraform with a lower -parallelism, raise max_retries (OS_MAX_RETRIES) or the operation's " +
			"timeout, or try again later.",
	},
	ServerError: {
		RetrySafe: true, RetryUnsafe: ReconcileFirst,
		Summary: "{doing} failed",
		Check:   "{service} answered with an error{project}.",
	},
	Unavailable: {
		RetrySafe: true, RetryUnsafe: ReconcileFirst,
		Summary: "{doing} failed: {service} is unavailable",
		Check: "{service} or its gateway answered HTTP {status}{project}: the service is unavailable, overloaded or " +
			"slow to answer. Try again later.",
	},
	Unauthorized: {
		RetrySafe: false, RetryUnsafe: NotResent,
		Summary: "The VBS API refused the credentials",
		Check: "{doing} was refused{project} although the login succeeded; logging in again did not help. " +
			"Check the credentials: {credentials}.",
		LoginSummary: "Keystone refused the credentials",
		LoginCheck:   "{doing} was refused. Check the credentials: {credentials}.",
	},
	Forbidden: {
		RetrySafe: false, RetryUnsafe: NotResent,
		Summary: "{doing} was forbidden",
		Check: "The VBS API refused this{project}. The login works, but the user lacks VBS permissions in the " +
			"project, or the token is scoped to another project: check project_id (OS_PROJECT_ID) and the user's roles.",
		LoginSummary: "Keystone refused the project scope",
		LoginCheck: "{doing} was forbidden: the user may not be a member of the project, or lack a role in it. " +
			"Check project_id or project_name (OS_PROJECT_ID, OS_PROJECT_NAME) and the user's roles.",
		LoginAttribute: "project_id",
	},
	NotFound: {
		RetrySafe: false, RetryUnsafe: NotResent,
		Summary:      "{doing} failed",
		Check:        "The VBS API answered HTTP 404{project}.",
		LoginSummary: "Keystone not found at auth_url",
		LoginCheck: "{call} answered HTTP 404: no Keystone v3 is there. auth_url (OS_AUTH_URL) should be the Keystone v3 URL, " +
			"ending in /v3, for example https://iam.eu-de.otc.t-systems.com/v3.",
		LoginAttribute: "auth_url",
	},
	Rejected: {
		RetrySafe: false, RetryUnsafe: NotResent,
		Summary: "{doing} was rejected",
		Check:   "{service} refused the request as it stands (HTTP {status}){project}.",
	},
}

// AllClasses lists every class, in declaration order.
func AllClasses() []Class {
	return []Class{Other, Cancelled, Deadline, NoSuchHost, Unreachable, TLS, ConnectionLost, CutBody, EmptyBody, NotJSON, Throttled,
		ServerError, Unavailable, Unauthorized, Forbidden, NotFound, Rejected}
}

func (c Class) String() string {
	switch c {
	case Cancelled:
		return "cancelled"
	case Deadline:
		return "deadline"
	case NoSuchHost:
		return "no such host"
	case Unreachable:
		return "unreachable"
	case TLS:
		return "TLS"
	case ConnectionLost:
		return "connection lost"
	case CutBody:
		return "cut body"
	case EmptyBody:
		return "empty body"
	case NotJSON:
		return "not JSON"
	case Throttled:
		return "throttled"
	case ServerError:
		return "server error"
	case Unavailable:
		return "unavailable"
	case Unauthorized:
		return "unauthorized"
	case Forbidden:
		return "forbidden"
	case NotFound:
		return "not found"
	case Rejected:
		return "rejected"
	}
	return "other"
}
