//! The two-factor set-up page's QR code: the `otpauth://` URI as an SVG in
//! a `data:` URI for an `<img src>` (the CSP's `img-src` already allows
//! `data:`): no script, no extra request.
//!
//! `qrcodegen` (Nayuki's encoder, no dependencies) makes the module matrix;
//! drawing it here as one `<path>`, a rectangle per horizontal run of dark
//! modules, needs no image crates (a PNG through totp-rs's `qr` feature
//! would bring image, png and flate2) and stays small: ~6 KB of SVG (8.5 KB
//! as a data URI) for a short username, 8-9 KB (11-12.4 KB) for the
//! longest, 50 characters.
//! The error correction is at least Medium (15% of the code may be
//! unreadable): qrcodegen raises it when the same version has room.
//! The SVG has no intrinsic size: the `<img>` sets it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use qrcodegen::{QrCode, QrCodeEcc};
use std::fmt::Write;

/// Light modules around the code, as the QR standard asks for.
const QUIET_ZONE: i32 = 4;

/// `text` as a QR code in an SVG `data:` URI
/// (`data:image/svg+xml;base64,…`); `None` only if `text` is too long for
/// any QR code (over ~2,300 bytes at Medium), which an otpauth URI is not.
pub(crate) fn svg_data_uri(text: &str) -> Option<String> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    Some(format!(
        "data:image/svg+xml;base64,{}",
        STANDARD.encode(svg(&code))
    ))
}

/// The code as SVG: a white square of the code's size plus the quiet zone
/// (one unit per module), and one black path. `crispEdges` keeps adjacent
/// rectangles from showing anti-aliased seams.
fn svg(code: &QrCode) -> String {
    let full = code.size() + 2 * QUIET_ZONE;
    format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {full} {full}" "#,
            r#"shape-rendering="crispEdges">"#,
            r##"<rect width="{full}" height="{full}" fill="#fff"/>"##,
            r##"<path d="{d}" fill="#000"/></svg>"##
        ),
        full = full,
        d = path(code)
    )
}

/// The path data: `M{x},{y}h{len}v1h-{len}z` for each horizontal run of
/// dark modules, row by row, offset by the quiet zone.
fn path(code: &QrCode) -> String {
    let size = code.size();
    let mut d = String::new();
    for y in 0..size {
        let mut x = 0;
        while x < size {
            if !code.get_module(x, y) {
                x += 1;
                continue;
            }
            let start = x;
            while x < size && code.get_module(x, y) {
                x += 1;
            }
            let (left, top, len) = (start + QUIET_ZONE, y + QUIET_ZONE, x - start);
            // Writing to a String cannot fail.
            let _ = write!(d, "M{left},{top}h{len}v1h-{len}z");
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The longest username allowed: 50 characters.
    fn longest_username() -> String {
        "u".repeat(24) + &"1.-_".repeat(6) + "ab"
    }

    /// A typical URI: the default site name, the longest username and a
    /// 32-character base32 secret (134 bytes).
    fn typical_uri() -> String {
        format!(
            "otpauth://totp/The%20Blog:{}?secret={}&issuer=The%20Blog",
            longest_username(),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        )
    }

    /// The SVG inside a data URI from `svg_data_uri`.
    fn decoded(data_uri: &str) -> String {
        let b64 = data_uri.strip_prefix("data:image/svg+xml;base64,").unwrap();
        String::from_utf8(STANDARD.decode(b64).unwrap()).unwrap()
    }

    /// The dark modules a path draws (quiet zone included), read back from
    /// its `M{x},{y}h{len}v1h-{len}z` rectangles.
    fn modules_drawn(d: &str, full: usize) -> Vec<Vec<bool>> {
        let mut grid = vec![vec![false; full]; full];
        for rect in d.split('M').skip(1) {
            let rect = rect.strip_suffix('z').unwrap();
            let (xy, rest) = rect.split_once('h').unwrap();
            let (len, back) = rest.split_once("v1h-").unwrap();
            assert_eq!(len, back, "{rect}");
            let (x, y) = xy.split_once(',').unwrap();
            let (x, y, len): (usize, usize, usize) =
                (x.parse().unwrap(), y.parse().unwrap(), len.parse().unwrap());
            assert!(len > 0);
            for cell in &mut grid[y][x..x + len] {
                assert!(!*cell, "rectangles overlap at {x},{y}");
                *cell = true;
            }
        }
        grid
    }

    /// The `d` attribute of the SVG's one path.
    fn path_data(svg: &str) -> &str {
        let start = svg.find(r#"<path d=""#).unwrap() + r#"<path d=""#.len();
        &svg[start..start + svg[start..].find('"').unwrap()]
    }

    #[test]
    fn the_data_uri_holds_one_svg_path_on_white() {
        let uri = svg_data_uri(&typical_uri()).unwrap();
        let svg = decoded(&uri);
        assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 "#));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains(r#"shape-rendering="crispEdges""#));
        assert!(svg.contains(r##"fill="#fff"/>"##));
        assert_eq!(svg.matches("<path ").count(), 1);
        assert_eq!(svg.matches("<rect ").count(), 1);
        // Nothing to escape in an <img src>, nothing a CSP would refuse.
        assert!(uri.bytes().all(|b| b.is_ascii_graphic()));
        assert!(!svg.contains("<script") && !svg.contains("href"));
    }

    #[test]
    fn the_path_draws_exactly_the_dark_modules_inside_a_quiet_zone() {
        let text = typical_uri();
        let code = QrCode::encode_text(&text, QrCodeEcc::Medium).unwrap();
        assert!(code.error_correction_level() >= QrCodeEcc::Medium);
        // 134 bytes need version 8 at Medium (version 7 holds 122).
        assert_eq!(text.len(), 134);
        assert_eq!(code.version().value(), 8);
        // A version-v code is 4v + 17 modules wide; the view adds 4 a side.
        let size = usize::from(code.version().value()) * 4 + 17;
        assert_eq!(code.size(), i32::try_from(size).unwrap());
        let svg = decoded(&svg_data_uri(&text).unwrap());
        let full = size + 8;
        assert!(svg.contains(&format!(r#"viewBox="0 0 {full} {full}""#)));
        assert!(svg.contains(&format!(r#"width="{full}" height="{full}""#)));
        let grid = modules_drawn(path_data(&svg), full);
        for (y, row) in grid.iter().enumerate() {
            for (x, &dark) in row.iter().enumerate() {
                let (cx, cy) = (x as i32 - 4, y as i32 - 4);
                // get_module is false outside the code: the quiet zone.
                assert_eq!(dark, code.get_module(cx, cy), "module {cx},{cy}");
            }
        }
    }

    #[test]
    fn otpauth_uris_stay_near_6_to_12_kb() {
        use crate::crypto::totp::{otpauth_uri, Secret};
        let size = |username: &str, seed: u8| {
            let text = otpauth_uri(
                "The Blog",
                username,
                &Secret::from_bytes(&[seed; 20]).unwrap(),
            );
            let uri = svg_data_uri(&text).unwrap();
            (decoded(&uri).len(), uri.len())
        };
        // The longest username (50 characters): version 8, 49 modules.
        // Measured over 300 random secrets: data URI 10.9-12.4 KB, median
        // 11.5 KB. Fixed secrets here, so the bound cannot flake.
        let longest = longest_username();
        assert_eq!(longest.len(), 50);
        for seed in 0..50 {
            let (svg, uri) = size(&longest, seed);
            assert!(
                svg < 9_500 && uri < 12_800,
                "{seed}: svg {svg}, data URI {uri}"
            );
        }
        // A short one (version 6): ~6 KB of SVG, ~8.5 KB as a data URI.
        let (svg, uri) = size("alice", 1);
        assert!(svg < 7_000 && uri < 9_300, "svg {svg}, data URI {uri}");
    }

    #[test]
    fn a_reader_decodes_the_drawn_svg_back_to_the_uri() {
        let text = typical_uri();
        let svg = decoded(&svg_data_uri(&text).unwrap());
        let full = svg.split(r#"viewBox="0 0 "#).nth(1).unwrap();
        let full: usize = full.split(' ').next().unwrap().parse().unwrap();
        let grid = modules_drawn(path_data(&svg), full);
        // Rasterise as a browser would at 4 px per module: dark on white.
        let scale = 4;
        let px = full * scale;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(px, px, |x, y| {
            if grid[y / scale][x / scale] {
                0
            } else {
                255
            }
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, text);
    }

    #[test]
    fn only_text_too_long_for_any_qr_code_is_refused() {
        assert!(svg_data_uri("").is_some());
        assert!(svg_data_uri(&"x".repeat(2000)).is_some());
        assert_eq!(svg_data_uri(&"x".repeat(3000)), None);
    }
}
