package pki

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strings"
)

const (
	// AdminUser is the user name of the admin token; it is in
	// AdminGroup.
	AdminUser = "node-e2e-admin"
	// AdminGroup is the group of the admin user.
	AdminGroup = "system:masters"
	// NodeGroup is the group of the node user, as the Node authorizer
	// expects.
	NodeGroup = "system:nodes"
	// nodeUserPrefix prefixes the node name in the node user name.
	nodeUserPrefix = "system:node:"
	// tokenBytes is the entropy of a generated token.
	tokenBytes = 32
)

// NodeUser returns the user name of the kubelet of node nodeName, as the
// Node authorizer expects it.
func NodeUser(nodeName string) string { return nodeUserPrefix + nodeName }

// newToken returns tokenBytes random bytes, base64url-encoded unpadded.
func newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// validToken checks that tok can go into a token file and an HTTP header:
// printable ASCII with no space, comma or quote. The token itself is never
// part of the error.
func validToken(tok string) error {
	if tok == "" {
		return errors.New("empty")
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c <= ' ' || c >= 0x7f || c == ',' || c == '"' {
			return fmt.Errorf("character %d is not printable ASCII or is a space, comma or quote", i)
		}
	}
	return nil
}

// tokenEntry is one line of a kube-apiserver --token-auth-file.
type tokenEntry struct {
	token, user, uid string
	groups           []string
}

// encodeTokenFile renders entries as token,user,uid,"group1,group2". The
// uid is the user name. Fields must already be free of commas and quotes,
// groups of quotes.
func encodeTokenFile(entries []tokenEntry) []byte {
	var b bytes.Buffer
	for _, e := range entries {
		fmt.Fprintf(&b, "%s,%s,%s,\"%s\"\n", e.token, e.user, e.uid, strings.Join(e.groups, ","))
	}
	return b.Bytes()
}

// parseTokenFile reads a token file the way kube-apiserver does: CSV with
// at least token, user and uid, and an optional comma-separated group list.
// Errors name the line, never the token.
func parseTokenFile(data []byte) ([]tokenEntry, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	recs, err := r.ReadAll()
	if err != nil {
		return nil, err // csv.ParseError names line and column only
	}
	entries := make([]tokenEntry, 0, len(recs))
	for i, rec := range recs {
		if len(rec) < 3 {
			return nil, fmt.Errorf("line %d: %d fields, want at least token,user,uid", i+1, len(rec))
		}
		e := tokenEntry{token: rec[0], user: rec[1], uid: rec[2]}
		if len(rec) > 3 && rec[3] != "" {
			e.groups = strings.Split(rec[3], ",")
		}
		if e.token == "" || e.user == "" {
			return nil, fmt.Errorf("line %d: empty token or user", i+1)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// findTokens picks the admin and node entries out of a token file.
func findTokens(entries []tokenEntry) (admin, node tokenEntry, err error) {
	var haveAdmin, haveNode bool
	for _, e := range entries {
		switch {
		case e.user == AdminUser && !haveAdmin:
			admin, haveAdmin = e, true
		case strings.HasPrefix(e.user, nodeUserPrefix) && slices.Contains(e.groups, NodeGroup) && !haveNode:
			node, haveNode = e, true
		}
	}
	if !haveAdmin {
		return admin, node, fmt.Errorf("no entry for user %s", AdminUser)
	}
	if !haveNode {
		return admin, node, fmt.Errorf("no entry for a %s* user in group %s", nodeUserPrefix, NodeGroup)
	}
	return admin, node, nil
}
