//! `#[radius_handler]`: see the crate docs.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{parse_quote, FnArg, GenericArgument, ItemFn, Path, PathArguments, ReturnType, Type};

/// Expand the attribute.
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let krate = parse_args(attr)?;
    let f: ItemFn = syn::parse2(item)?;
    check_signature(&f)?;
    if let ReturnType::Default = f.sig.output {
        return Err(syn::Error::new(
            f.sig.ident.span(),
            "a #[radius_handler] must return a reply: add e.g. `-> Reply` or `-> AccessAccept`",
        ));
    }

    // Parameter types, and the state type if a `Shared<S>` parameter names one.
    let mut state_ty: Option<Type> = None;
    let mut params = Vec::new();
    for arg in &f.sig.inputs {
        let FnArg::Typed(pt) = arg else {
            unreachable!("receivers rejected by check_signature")
        };
        let ty = &*pt.ty;
        if let Type::ImplTrait(_) = ty {
            return Err(syn::Error::new(
                ty.span(),
                "#[radius_handler] parameters must be concrete extractor types, not `impl Trait`",
            ));
        }
        if let Type::Reference(_) = ty {
            return Err(syn::Error::new(
                ty.span(),
                "#[radius_handler] parameters are owned extractors: drop the `&` (e.g. `req: Request`)",
            ));
        }
        if let Some(inner) = single_generic(ty, "Shared") {
            if let Some(prev) = &state_ty {
                if quote!(#prev).to_string() != quote!(#inner).to_string() {
                    return Err(syn::Error::new(
                        ty.span(),
                        "a handler can only take one state type: every `Shared<S>` parameter must name the same `S`",
                    ));
                }
            }
            state_ty = Some(inner.clone());
        }
        params.push(ty.clone());
    }
    let s_ty: Type = state_ty.unwrap_or_else(|| parse_quote!(()));

    // Compile-time checks whose errors point at the parameter / return type.
    let param_checks = params
        .iter()
        .map(|ty| quote_spanned!(ty.span()=> #krate::__private::assert_extractor::<#ty, #s_ty>();));
    let ret_check = match &f.sig.output {
        ReturnType::Type(_, t) if contains_impl_trait(t) => quote!(),
        ReturnType::Type(_, t) => {
            quote_spanned!(t.span()=> #krate::__private::assert_reply::<#t>();)
        }
        ReturnType::Default => quote!(),
    };
    let checks = quote! {
        #[allow(dead_code, non_snake_case, clippy::all)]
        const _: () = {
            fn __radius_handler_checks() {
                #(#param_checks)*
                #ret_check
            }
        };
    };

    if f.sig.asyncness.is_some() {
        // An async fn is a handler as it stands (Handler is implemented for
        // every Fn returning a future); only add the checks.
        return Ok(quote! { #f #checks });
    }

    // A sync fn: an async fn of the same name runs the body on the blocking pool.
    let args: Vec<_> = (0..params.len())
        .map(|i| format_ident!("__arg{}", i))
        .collect();
    let attrs = &f.attrs;
    let vis = &f.vis;
    let name = &f.sig.ident;
    let mut inner = f.clone();
    inner.attrs.clear();
    inner.vis = syn::Visibility::Inherited;
    inner.sig.ident = format_ident!("__radius_handler_body");
    Ok(quote! {
        #(#attrs)*
        #vis async fn #name(#(#args: #params),*) -> #krate::__private::Reply {
            #[allow(clippy::too_many_arguments)]
            #inner
            #krate::__private::run_blocking(move || __radius_handler_body(#(#args),*)).await
        }
        #checks
    })
}

fn contains_impl_trait(t: &Type) -> bool {
    quote!(#t)
        .into_iter()
        .any(|tt| matches!(&tt, proc_macro2::TokenTree::Ident(i) if i == "impl"))
}

fn parse_args(attr: TokenStream) -> syn::Result<Path> {
    let mut krate: Option<Path> = None;
    if !attr.is_empty() {
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("crate") {
                let s: syn::LitStr = meta.value()?.parse()?;
                krate = Some(s.parse()?);
                Ok(())
            } else {
                Err(meta
                    .error("unknown #[radius_handler] option; the only one is `crate = \"path\"`"))
            }
        });
        syn::parse::Parser::parse2(parser, attr)?;
    }
    Ok(krate.unwrap_or_else(default_crate))
}

/// `::radius_server`, or `::typed_radius::server` for packages that depend
/// on the facade only.
fn default_crate() -> Path {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .and_then(|d| std::fs::read_to_string(std::path::Path::new(&d).join("Cargo.toml")).ok())
        .unwrap_or_default();
    let mentions = |name: &str| {
        manifest.lines().any(|l| {
            let t = l.trim_start();
            t.starts_with(name) || t.contains(&format!("\"{name}\""))
        })
    };
    // The server package is published as `typed-radius-server` (crates.io
    // has an unrelated `radius-server`); its library is still `radius_server`.
    let server = mentions("radius-server") || mentions("typed-radius-server");
    if !server && mentions("typed-radius") {
        parse_quote!(::typed_radius::server)
    } else {
        parse_quote!(::radius_server)
    }
}

fn check_signature(f: &ItemFn) -> syn::Result<()> {
    let sig = &f.sig;
    if let Some(r) = sig.receiver() {
        return Err(syn::Error::new(
            r.span(),
            "#[radius_handler] functions cannot take `self`: write a free function and pass shared data with `Shared<S>`",
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(syn::Error::new(
            sig.generics.span(),
            "#[radius_handler] functions cannot be generic: name concrete extractor types",
        ));
    }
    if let Some(c) = &sig.constness {
        return Err(syn::Error::new(
            c.span(),
            "#[radius_handler] functions cannot be `const`",
        ));
    }
    if let Some(u) = &sig.unsafety {
        return Err(syn::Error::new(
            u.span(),
            "#[radius_handler] functions cannot be `unsafe`",
        ));
    }
    if let Some(v) = &sig.variadic {
        return Err(syn::Error::new(
            v.span(),
            "#[radius_handler] functions cannot be variadic",
        ));
    }
    if let Some(a) = &sig.abi {
        return Err(syn::Error::new(
            a.span(),
            "#[radius_handler] functions cannot have an ABI",
        ));
    }
    Ok(())
}

/// If `ty` is `Name<T>` (last path segment `Name`, one type argument), `T`.
fn single_generic<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let Type::Path(tp) = ty else { return None };
    if tp.qself.is_some() {
        return None;
    }
    let seg = tp.path.segments.last()?;
    if seg.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(ab) = &seg.arguments else {
        return None;
    };
    if ab.args.len() != 1 {
        return None;
    }
    match ab.args.first()? {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}
