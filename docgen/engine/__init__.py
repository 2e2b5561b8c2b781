"""The kind-agnostic engine: loading, schema checks, formatting, the sandboxed fill, the zip
package, PDF and safe file writing. It knows nothing of any report kind and never prints."""
