//! `radius_dictionary!("path")`: the dictionary compiler inline, for crates
//! that prefer a macro to a build script. Shares the generator with
//! `radius_core::codegen::Builder`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Token};

struct Args {
    path: LitStr,
    krate: Option<LitStr>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path: LitStr = input.parse()?;
        let mut krate = None;
        while input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: syn::Ident = input.call(syn::ext::IdentExt::parse_any)?;
            input.parse::<Token![=]>()?;
            let v: LitStr = input.parse()?;
            match key.to_string().as_str() {
                "crate" => krate = Some(v),
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown option `{other}` (expected `crate`)"),
                    ))
                }
            }
        }
        Ok(Args { path, krate })
    }
}

/// Which path reaches radius-core from the calling package.
fn default_crate_path() -> String {
    // A package that depends on radius-core directly names it so; users of
    // the facade reach it through `typed_radius::radius_core`.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let toml = std::fs::read_to_string(std::path::Path::new(&manifest).join("Cargo.toml"))
        .unwrap_or_default();
    if toml.contains("radius-core") && !toml.contains("typed-radius") {
        "::radius_core".into()
    } else {
        "::typed_radius::radius_core".into()
    }
}

pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let args: Args = syn::parse2(input)?;
    let rel = args.path.value();
    let base = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let path = std::path::Path::new(&base).join(&rel);
    let krate = args
        .krate
        .map(|k| k.value())
        .unwrap_or_else(default_crate_path);
    let builder = radius_core::codegen::Builder::new()
        .dictionary(&path)
        .crate_path(krate);
    let dict = builder
        .load()
        .map_err(|e| syn::Error::new(args.path.span(), e.to_string()))?;
    let code: TokenStream = builder.generate(&dict).parse().map_err(|e| {
        syn::Error::new(
            args.path.span(),
            format!("generated code does not parse: {e}"),
        )
    })?;
    // include_bytes! makes rustc rebuild when any dictionary file changes.
    let deps = dict.files().iter().map(|f| {
        let f = f.display().to_string();
        quote! { const _: &[u8] = include_bytes!(#f); }
    });
    Ok(quote! { #(#deps)* #code })
}
