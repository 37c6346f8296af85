package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/spf13/pflag"
)

// natsFlags say how to reach an external NATS deployment. Secrets never
// travel on the command line: a password comes from a file or the
// NATS_PASSWORD environment variable, an NKey seed or a credentials file
// from a file.
type natsFlags struct {
	url          string
	user         string
	passwordFile string
	nkeyFile     string
	credsFile    string
	tlsCA        string
	tlsCert      string
	tlsKey       string
	// replicas is the log stream's replica count when serve creates it on
	// an external cluster.
	replicas int
}

// passwordEnv is the environment variable that may hold the NATS password.
const passwordEnv = "NATS_PASSWORD"

func addNATSFlags(fs *pflag.FlagSet, f *natsFlags) {
	fs.StringVar(&f.url, "nats-url", "", "join an external NATS deployment (comma-separated URLs) instead of starting the embedded server")
	fs.StringVar(&f.user, "nats-user", "", "with --nats-url: user name (password from --nats-password-file or $"+passwordEnv+")")
	fs.StringVar(&f.passwordFile, "nats-password-file", "", "with --nats-url: file holding the password")
	fs.StringVar(&f.nkeyFile, "nats-nkey-file", "", "with --nats-url: file holding an NKey seed (SU…)")
	fs.StringVar(&f.credsFile, "nats-creds", "", "with --nats-url: JWT credentials file")
	fs.StringVar(&f.tlsCA, "nats-tls-ca", "", "with --nats-url: CA bundle to verify the servers")
	fs.StringVar(&f.tlsCert, "nats-tls-cert", "", "with --nats-url: client certificate (mutual TLS)")
	fs.StringVar(&f.tlsKey, "nats-tls-key", "", "with --nats-url: client key (mutual TLS)")
	fs.IntVar(&f.replicas, "stream-replicas", 3, "with --nats-url: replicas of the log stream if serve creates it")
}

// options validates the flags and returns the connection options they ask
// for. Every problem is a usage error naming the flag.
func (f *natsFlags) options() ([]nats.Option, error) {
	if f.url == "" {
		for name, v := range map[string]string{"--nats-user": f.user, "--nats-password-file": f.passwordFile,
			"--nats-nkey-file": f.nkeyFile, "--nats-creds": f.credsFile, "--nats-tls-ca": f.tlsCA,
			"--nats-tls-cert": f.tlsCert, "--nats-tls-key": f.tlsKey} {
			if v != "" {
				return nil, usagef("%s needs --nats-url (the embedded server is in-process)", name)
			}
		}
		return nil, nil
	}
	if f.replicas < 1 || f.replicas > 5 {
		return nil, usagef("--stream-replicas %d: want 1..5", f.replicas)
	}
	var opts []nats.Option
	auth := 0
	if f.user != "" {
		auth++
		pw := os.Getenv(passwordEnv)
		if f.passwordFile != "" {
			b, err := os.ReadFile(f.passwordFile)
			if err != nil {
				return nil, usagef("--nats-password-file: %v", err)
			}
			pw = strings.TrimRight(string(b), "\r\n")
		}
		if pw == "" {
			return nil, usagef("--nats-user %s: no password (give --nats-password-file or set $%s)", f.user, passwordEnv)
		}
		opts = append(opts, nats.UserInfo(f.user, pw))
	} else if f.passwordFile != "" {
		return nil, usagef("--nats-password-file needs --nats-user")
	}
	if f.nkeyFile != "" {
		auth++
		o, err := nats.NkeyOptionFromSeed(f.nkeyFile)
		if err != nil {
			return nil, usagef("--nats-nkey-file %s: %v", f.nkeyFile, err)
		}
		opts = append(opts, o)
	}
	if f.credsFile != "" {
		auth++
		if _, err := os.Stat(f.credsFile); err != nil {
			return nil, usagef("--nats-creds: %v", err)
		}
		opts = append(opts, nats.UserCredentials(f.credsFile))
	}
	if auth > 1 {
		return nil, usagef("give one of --nats-user, --nats-nkey-file and --nats-creds")
	}
	if f.tlsCA != "" || f.tlsCert != "" || f.tlsKey != "" {
		cfg, err := f.tls()
		if err != nil {
			return nil, err
		}
		opts = append(opts, nats.Secure(cfg))
	}
	return opts, nil
}

func (f *natsFlags) tls() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.tlsCA != "" {
		pem, err := os.ReadFile(f.tlsCA)
		if err != nil {
			return nil, usagef("--nats-tls-ca: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usagef("--nats-tls-ca %s: no PEM certificate in it", f.tlsCA)
		}
		cfg.RootCAs = pool
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return nil, usagef("--nats-tls-cert and --nats-tls-key go together")
	}
	if f.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return nil, usagef("--nats-tls-cert/--nats-tls-key: %v", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// connect dials the external deployment.
func (f *natsFlags) connect(name string) (*nats.Conn, error) {
	opts, err := f.options()
	if err != nil {
		return nil, err
	}
	opts = append(opts, nats.Name(name), nats.MaxReconnects(-1))
	nc, err := nats.Connect(f.url, opts...)
	if err != nil {
		return nil, fmt.Errorf("--nats-url %s: %w", f.url, err)
	}
	return nc, nil
}
