// Package transport holds the http.RoundTrippers that sit under gophercloud's
// ProviderClient (ProviderClient.HTTPClient.Transport): retries with backoff,
// DEBUG/TRACE logging through terraform-plugin-log, and the redaction rules
// both the log and the recorded test server rely on.
//
// Intended order, outermost first:
//
//	NewRetry(aksk.NewTransport(NewLogging(base), ...), opts)   // AK/SK
//	NewRetry(NewLogging(base), opts)                           // token
//
// Retry goes outside signing so each attempt gets a fresh X-Sdk-Date and
// signature, and outside logging so each attempt is logged with its number
// (see Attempt). Logging goes innermost to show the request exactly as sent,
// signed headers included (redacted).
package transport
