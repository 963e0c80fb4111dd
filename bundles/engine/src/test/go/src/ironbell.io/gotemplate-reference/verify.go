package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"text/template"

	"golang.org/x/crypto/bcrypt"
)

// verifyFuncs are what the tests of Ironbell's random and clock-based Sprig functions ask Go to
// judge (funcs "verify": Tinkerbell's functions and these). Nothing here renders workflows.
func verifyFuncs() template.FuncMap {
	return template.FuncMap{
		"bcryptCheck": bcryptCheck,
		"certAgain":   certAgain,
	}
}

// bcryptCheck: "ok <cost>" where the hash is the password's, else the error.
func bcryptCheck(hash, password string) string {
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)); err != nil {
		return err.Error()
	}
	cost, _ := bcrypt.Cost([]byte(hash))
	return fmt.Sprintf("ok %d", cost)
}

// certAgain: the certificate Go makes in place of cert (a PEM certificate of key) from Sprig's
// template (getBaseCertTemplate, and generateCertificateAuthorityWithKeyInternal's changes for
// kind "ca") with these arguments and cert's serial number and validity (Sprig's come from the
// clock); signed by the CA certificate and key for kind "signed", self-signed otherwise.
func certAgain(kind, cert, key, cn string, ips, dnsNames []interface{}, caCert, caKey string) (string, error) {
	made, err := parseCert(cert)
	if err != nil {
		return "", err
	}
	priv, err := parseKey(key)
	if err != nil {
		return "", err
	}
	template := &x509.Certificate{
		SerialNumber: made.SerialNumber,
		Subject:      pkix.Name{CommonName: cn},
		IPAddresses:  []net.IP{},
		DNSNames:     []string{},
		NotBefore:    made.NotBefore,
		NotAfter:     made.NotAfter,
		KeyUsage:     x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{
			x509.ExtKeyUsageServerAuth,
			x509.ExtKeyUsageClientAuth,
		},
		BasicConstraintsValid: true,
	}
	for _, ip := range ips {
		template.IPAddresses = append(template.IPAddresses, net.ParseIP(ip.(string)))
	}
	for _, name := range dnsNames {
		template.DNSNames = append(template.DNSNames, name.(string))
	}
	parent, signer := template, priv
	switch kind {
	case "ca":
		template.KeyUsage |= x509.KeyUsageCertSign
		template.IsCA = true
	case "signed":
		if parent, err = parseCert(caCert); err != nil {
			return "", err
		}
		if signer, err = parseKey(caKey); err != nil {
			return "", err
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, template, parent, priv.(crypto.Signer).Public(), signer)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}

func parseCert(text string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

// parseKey reads the three kinds of key Sprig writes that can sign.
func parseKey(text string) (crypto.PrivateKey, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, errors.New("no PEM key")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(block.Bytes)
	default:
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		switch k.(type) {
		case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
			return k, err
		}
		return nil, fmt.Errorf("not a signing key: %v", err)
	}
}
