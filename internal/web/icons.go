package web

import "html/template"

// icons are 24×24 line icons drawn with currentColor, inlined so that they need no request
// and follow the text colour (the active tab turns red with its label). They are decorative:
// every icon sits next to a text label, so they are hidden from screen readers.
var icons = map[string]string{
	"home":     `<path d="M3 10.5 12 3l9 7.5"/><path d="M5 9.5V21h5v-6h4v6h5V9.5"/>`,
	"services": `<rect x="3" y="3" width="7.5" height="7.5" rx="1.5"/><rect x="13.5" y="3" width="7.5" height="7.5" rx="1.5"/><rect x="3" y="13.5" width="7.5" height="7.5" rx="1.5"/><rect x="13.5" y="13.5" width="7.5" height="7.5" rx="1.5"/>`,
	"message":  `<path d="M4 5h16v11H9l-5 4z"/><path d="M8 9.5h8M8 12.5h5"/>`,
	"user":     `<circle cx="12" cy="8" r="4"/><path d="M4 21c0-4.4 3.6-7 8-7s8 2.6 8 7"/>`,
	"map":      `<path d="M9 4 3 6.5v13.5l6-2.5 6 2.5 6-2.5V4l-6 2.5z"/><path d="M9 4v13.5M15 6.5V20"/>`,
	"house":    `<path d="M4 21V9l8-5 8 5v12z"/><path d="M9 21v-6h6v6"/><path d="M9 10.5h.01M15 10.5h.01"/>`,
	"people":   `<circle cx="9" cy="8" r="3.5"/><path d="M2.5 20c0-3.6 2.9-6 6.5-6s6.5 2.4 6.5 6"/><path d="M16 4.6a3.5 3.5 0 0 1 0 6.8M18.5 14.3c1.9.8 3 2.8 3 5.7"/>`,
	"upload":   `<path d="M12 16V4M7 9l5-5 5 5"/><path d="M4 15v5h16v-5"/>`,
	"download": `<path d="M12 4v12M7 11l5 5 5-5"/><path d="M4 15v5h16v-5"/>`,
	"plus":     `<path d="M12 5v14M5 12h14"/>`,
	"chevron":  `<path d="m9 5 7 7-7 7"/>`,
	"search":   `<circle cx="11" cy="11" r="6.5"/><path d="m16 16 4.5 4.5"/>`,
	"logout":   `<path d="M10 4H5v16h5"/><path d="M14 8l4 4-4 4M18 12H9"/>`,
	"alert":    `<path d="M12 3 2 20h20z"/><path d="M12 10v4.5M12 17.5h.01"/>`,
	"check":    `<path d="m5 12.5 4.5 4.5L19 7.5"/>`,
	"clock":    `<circle cx="12" cy="12" r="8.5"/><path d="M12 7.5V12l3 2"/>`,
	"edit":     `<path d="M4 20h4L19 9l-4-4L4 16z"/><path d="m13.5 6.5 4 4"/>`,
	"move":     `<path d="M5 12h14M15 8l4 4-4 4"/><path d="M5 5v14"/>`,
	"archive":  `<rect x="3" y="4" width="18" height="4.5" rx="1"/><path d="M5 8.5V20h14V8.5M10 12.5h4"/>`,
	"eye":      `<path d="M2 12s3.6-6.5 10-6.5S22 12 22 12s-3.6 6.5-10 6.5S2 12 2 12z"/><circle cx="12" cy="12" r="3"/>`,
	"lock":     `<rect x="4.5" y="10.5" width="15" height="10" rx="2"/><path d="M8 10.5V7a4 4 0 0 1 8 0v3.5"/>`,
	"file":     `<path d="M6 3h8l5 5v13H6z"/><path d="M14 3v5h5M9 13h7M9 17h7"/>`,
	"star":     `<path d="m12 3.5 2.6 5.5 6 .7-4.5 4.1 1.2 5.9L12 16.8l-5.3 2.9 1.2-5.9-4.5-4.1 6-.7z"/>`,
}

// icon returns the inline SVG of icon name; an unknown name renders nothing.
func icon(name string) template.HTML {
	p, ok := icons[name]
	if !ok {
		return ""
	}
	// The paths above are constants of this file, never user input.
	// #nosec G203 -- p is one of the constant SVG paths above, never user input
	return template.HTML(`<svg class="icon" viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">` + p + `</svg>`)
}
