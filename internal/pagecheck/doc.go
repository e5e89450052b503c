// Package pagecheck holds the browser checks that span every page people
// see — the web chat, the dashboard, the public page and the live room
// view — run in headless Chromium on the whole program wired as
// cmd/baraza wires it: axe-core finds no critical or serious
// accessibility problem at desktop and phone sizes, the results page fits
// a phone, and `go test ./internal/pagecheck -run Screenshots -screenshots`
// regenerates the screenshots in docs/. It has no code outside its tests.
package pagecheck
