package main

import (
	"errors"
	"fmt"
	"time"

	"gongzhi/internal/authz"
)

// cmdOTP prints the current six-digit code of a TOTP secret, for a newcomer without an
// authenticator app.
func cmdOTP(e *env) error {
	if len(e.args) != 1 {
		return errors.New("usage: gongzhi otp SECRET (the base32 secret printed by user add or demo)")
	}
	secret, err := authz.NormalizeTOTPSecret(e.args[0])
	if err != nil {
		return err
	}
	now := time.Now()
	code, err := authz.TOTPCode(secret, now)
	if err != nil {
		return err
	}
	left := authz.TOTPPeriod - now.Unix()%authz.TOTPPeriod
	fmt.Fprintf(e.stdout, "%s\n", code)
	fmt.Fprintf(e.stderr, "（%d 秒内有效，每个验证码只能用一次）\n", left)
	return nil
}
