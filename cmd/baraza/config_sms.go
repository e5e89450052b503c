package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// sms is the SMS adapter's environment (BARAZA_SMS_*). Setting
// BARAZA_SMS_KANNEL_URL enables it.
type smsConfig struct {
	KannelURL, User, Password string
	Secret                    string
	From                      string
	CallbackURL               string // how Kannel reaches Baraza, for delivery reports
	Reports                   bool
	Rate                      float64
	SegmentCap                int64
	Caps                      map[string]int64
	Keywords                  map[string]string
	// MetricsByConsultation: per-consultation SMS series in /metrics,
	// only when /metrics is behind BARAZA_METRICS_TOKEN.
	MetricsByConsultation bool
}

func loadSMS(getenv func(string) string, c config, errs []error) (smsConfig, []error) {
	s := smsConfig{
		KannelURL:   strings.TrimSpace(getenv("BARAZA_SMS_KANNEL_URL")),
		User:        strings.TrimSpace(getenv("BARAZA_SMS_KANNEL_USER")),
		Password:    getenv("BARAZA_SMS_KANNEL_PASSWORD"),
		Secret:      getenv("BARAZA_SMS_SECRET"),
		From:        strings.TrimSpace(getenv("BARAZA_SMS_FROM")),
		CallbackURL: strings.TrimRight(strings.TrimSpace(getenv("BARAZA_SMS_CALLBACK_URL")), "/"),

		MetricsByConsultation: strings.TrimSpace(getenv("BARAZA_METRICS_TOKEN")) != "",
	}
	if s.KannelURL == "" {
		return s, errs
	}
	if s.User == "" || s.Password == "" {
		errs = append(errs, errors.New("BARAZA_SMS_KANNEL_USER and BARAZA_SMS_KANNEL_PASSWORD (a sendsms-user of Kannel) are required with BARAZA_SMS_KANNEL_URL"))
	}
	if len(s.Secret) < 16 {
		errs = append(errs, errors.New("BARAZA_SMS_SECRET must be at least 16 characters: Kannel's post-url and dlr-url carry it as k=… (try: openssl rand -hex 16)"))
	}
	if s.CallbackURL == "" {
		s.CallbackURL = "http://" + c.HTTPAddr
	}
	switch v := strings.TrimSpace(getenv("BARAZA_SMS_DELIVERY_REPORTS")); v {
	case "", "1", "true", "yes", "on":
		s.Reports = true
	case "0", "false", "no", "off":
	default:
		errs = append(errs, fmt.Errorf("BARAZA_SMS_DELIVERY_REPORTS %q must be 1 or 0", v))
	}
	if v := strings.TrimSpace(getenv("BARAZA_SMS_RATE")); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 {
			errs = append(errs, fmt.Errorf("BARAZA_SMS_RATE %q must be a positive number of SMS parts a second (Kannel's throughput)", v))
		}
		s.Rate = r
	}
	// BARAZA_SMS_SEGMENT_CAP: "5000" for every consultation, and/or
	// "community-safety=20000" per consultation, comma-separated.
	for _, f := range strings.Split(getenv("BARAZA_SMS_SEGMENT_CAP"), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		id, v, per := strings.Cut(f, "=")
		if !per {
			v = id
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("BARAZA_SMS_SEGMENT_CAP entry %q must be a number or id=number", f))
			continue
		}
		if !per {
			s.SegmentCap = n
			continue
		}
		if s.Caps == nil {
			s.Caps = map[string]int64{}
		}
		s.Caps[strings.TrimSpace(id)] = n
	}
	// BARAZA_SMS_KEYWORDS: "SAFETY=community-safety,NIGHT=night-safety".
	for _, f := range strings.Split(getenv("BARAZA_SMS_KEYWORDS"), ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		kw, id, ok := strings.Cut(f, "=")
		if !ok || strings.TrimSpace(kw) == "" || strings.TrimSpace(id) == "" {
			errs = append(errs, fmt.Errorf("BARAZA_SMS_KEYWORDS entry %q must look like SAFETY=community-safety", f))
			continue
		}
		if s.Keywords == nil {
			s.Keywords = map[string]string{}
		}
		s.Keywords[strings.ToUpper(strings.TrimSpace(kw))] = strings.TrimSpace(id)
	}
	return s, errs
}
