//! `#[radius_handler]`: see the crate docs.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{parse_quote, FnArg, GenericArgument, ItemFn, Path, PathArguments, ReturnType, Type};

/// Expand the attribute.
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let krate = parse_args(attr)?;
    let f: ItemFn = syn::parse2(item)?;
    check_signature(&f)?;

    let name = &f.sig.ident;
    let vis = &f.vis;
    let docs: Vec<_> = f
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .collect();

    // Classify the parameters.
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
        if let Some(inner) = single_generic(ty, "State") {
            if let Some(prev) = &state_ty {
                if quote!(#prev).to_string() != quote!(#inner).to_string() {
                    return Err(syn::Error::new(
                        ty.span(),
                        "a handler can only take one state type: every `State<S>` parameter must name the same `S`",
                    ));
                }
            }
            state_ty = Some(inner.clone());
        }
        params.push(ty.clone());
    }

    let s_ty: Type = match &state_ty {
        Some(t) => t.clone(),
        None => parse_quote!(__S),
    };
    let impl_generics = match &state_ty {
        Some(_) => quote!(),
        None => quote!(<__S: ::core::marker::Send + ::core::marker::Sync + 'static>),
    };

    let args: Vec<_> = (0..params.len())
        .map(|i| format_ident!("__arg{}", i))
        .collect();
    let extracts = params.iter().zip(&args).map(|(ty, a)| {
        let span = ty.span();
        let call = if let Some(inner) = single_generic(ty, "Option") {
            quote_spanned!(span=> #krate::__private::extract_option::<#inner>(&__req))
        } else if let Some(inner) = single_generic(ty, "Vec") {
            quote_spanned!(span=> #krate::__private::extract_vec::<#inner>(&__req))
        } else {
            quote_spanned!(span=> <#ty as #krate::__private::FromRequest<#s_ty>>::from_request(&__req, __state))
        };
        quote! {
            let #a = match #call {
                ::core::result::Result::Ok(v) => v,
                ::core::result::Result::Err(e) => {
                    return #krate::__private::HandlerFuture::Ready(#krate::__private::Reply::Error(e));
                }
            };
        }
    });

    let (ret_span, ret_desc) = match &f.sig.output {
        ReturnType::Type(_, t) => (t.span(), quote!(#t)),
        ReturnType::Default => (f.sig.ident.span(), quote!(())),
    };
    let _ = ret_desc;
    let into_reply = quote_spanned!(ret_span=> #krate::__private::into_reply(__r));
    let body = if f.sig.asyncness.is_some() {
        quote! {
            #krate::__private::HandlerFuture::from_future(async move {
                let __r = #name::call(#(#args),*).await;
                #into_reply
            })
        }
    } else {
        quote! {
            #krate::__private::HandlerFuture::blocking(move || {
                let __r = #name::call(#(#args),*);
                #into_reply
            })
        }
    };

    let mut inner = f.clone();
    inner.sig.ident = syn::Ident::new("call", f.sig.ident.span());
    inner.vis = parse_quote!(pub);
    inner.attrs.retain(|a| !a.path().is_ident("doc"));

    Ok(quote! {
        #(#docs)*
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, Default)]
        #vis struct #name;

        impl #name {
            /// The handler function as written.
            #[allow(clippy::too_many_arguments)]
            #inner
        }

        impl #impl_generics #krate::__private::Handler<#s_ty> for #name {
            fn handle(
                &self,
                __req: #krate::__private::Request,
                __state: &#s_ty,
            ) -> #krate::__private::HandlerFuture {
                let _ = &__state;
                #(#extracts)*
                #body
            }
        }
    })
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
    if !mentions("radius-server") && mentions("typed-radius") {
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
            "#[radius_handler] functions cannot take `self`: write a free function and pass shared data with `State<S>`",
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
    if sig.ident == "call" {
        return Err(syn::Error::new(
            Span::call_site(),
            "name the handler something other than `call`",
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
