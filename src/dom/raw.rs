//! rrweb's serialized DOM as the page capture reads it: typed, with strings borrowed from the
//! event's text where they have no escapes (building a `serde_json::Value` tree for every
//! snapshot cost a quarter of the import's time). Fields are lenient: a value of an
//! unexpected type reads as absent.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// `visit_*` methods reading every scalar (and null) as `$value`.
macro_rules! scalars_read_as {
    ($value:expr) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
    };
}

/// An event; only `data` is read.
#[derive(Debug, Default, Deserialize)]
pub struct Event<'a> {
    /// The payload.
    #[serde(borrow, default, deserialize_with = "lenient_data")]
    pub data: Data<'a>,
}

/// The fields of `data` that carry page content.
#[derive(Debug, Default, Deserialize)]
pub struct Data<'a> {
    /// FullSnapshot: the document.
    #[serde(borrow, default, deserialize_with = "lenient")]
    pub node: Option<Node<'a>>,
    /// Mutation: added subtrees.
    #[serde(borrow, default, deserialize_with = "list")]
    pub adds: Vec<Add<'a>>,
    /// Mutation: removed nodes.
    #[serde(default, deserialize_with = "list")]
    pub removes: Vec<Remove>,
    /// Mutation: text changes.
    #[serde(borrow, default, deserialize_with = "list")]
    pub texts: Vec<TextChange<'a>>,
    /// Mutation: attribute changes.
    #[serde(borrow, default, deserialize_with = "list")]
    pub attributes: Vec<AttributeChange<'a>>,
    /// Input: the field.
    #[serde(default, deserialize_with = "int")]
    pub id: Option<i64>,
    /// Input: what the field holds.
    #[serde(borrow, default, deserialize_with = "text")]
    pub text: Option<Cow<'a, str>>,
}

/// A serialized node.
#[derive(Debug, Default, Deserialize)]
pub struct Node<'a> {
    /// Mirror id.
    #[serde(default, deserialize_with = "int")]
    pub id: Option<i64>,
    /// NodeType: 0 document, 2 element, 3 text, …
    #[serde(rename = "type", default, deserialize_with = "int")]
    pub kind: Option<i64>,
    /// Element tag.
    #[serde(rename = "tagName", borrow, default, deserialize_with = "text")]
    pub tag: Option<Cow<'a, str>>,
    /// Attributes.
    #[serde(borrow, default)]
    pub attributes: Attributes<'a>,
    /// Children.
    #[serde(rename = "childNodes", borrow, default, deserialize_with = "list")]
    pub children: Vec<Node<'a>>,
    /// A text node's text.
    #[serde(rename = "textContent", borrow, default, deserialize_with = "text")]
    pub text: Option<Cow<'a, str>>,
}

/// One added subtree.
#[derive(Debug, Default, Deserialize)]
pub struct Add<'a> {
    /// Where it goes.
    #[serde(rename = "parentId", default, deserialize_with = "int")]
    pub parent_id: Option<i64>,
    /// Before this sibling.
    #[serde(rename = "nextId", default, deserialize_with = "int")]
    pub next_id: Option<i64>,
    /// The subtree.
    #[serde(borrow, default, deserialize_with = "lenient")]
    pub node: Option<Node<'a>>,
}

/// One removed node.
#[derive(Debug, Default, Deserialize)]
pub struct Remove {
    /// Its id.
    #[serde(default, deserialize_with = "int")]
    pub id: Option<i64>,
}

/// One text change.
#[derive(Debug, Default, Deserialize)]
pub struct TextChange<'a> {
    /// The text node.
    #[serde(default, deserialize_with = "int")]
    pub id: Option<i64>,
    /// Its new text.
    #[serde(borrow, default, deserialize_with = "text")]
    pub value: Option<Cow<'a, str>>,
}

/// One attribute change.
#[derive(Debug, Default, Deserialize)]
pub struct AttributeChange<'a> {
    /// The element.
    #[serde(default, deserialize_with = "int")]
    pub id: Option<i64>,
    /// The attributes that changed.
    #[serde(borrow, default)]
    pub attributes: Attributes<'a>,
}

/// An attribute's value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue<'a> {
    /// A JSON string.
    Text(Cow<'a, str>),
    /// A number or `true`, as the text a page would see (`true` as the empty string). Kept
    /// apart from strings so that masking rules testing a value can stay on the safe side.
    Scalar(Cow<'a, str>),
    /// `null`: removed (in a mutation).
    Removed,
    /// `false`: a page removes the attribute, but a masking rule counts it as present.
    False,
    /// Anything else (a style diff object, a list).
    Other,
}

impl AttributeValue<'_> {
    /// The text a page would see, for strings, numbers and `true`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AttributeValue::Text(t) | AttributeValue::Scalar(t) => Some(t),
            _ => None,
        }
    }
}

/// Attributes in recorded order, names as written.
#[derive(Debug, Default)]
pub struct Attributes<'a>(pub Vec<(Cow<'a, str>, AttributeValue<'a>)>);

impl<'a> Attributes<'a> {
    /// The value of `name` (ASCII case-insensitive).
    pub fn get(&self, name: &str) -> Option<&AttributeValue<'a>> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The text of `name`.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(AttributeValue::as_str)
    }

    /// Whether `name` is present.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for AttributeValue<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AttributeValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an attribute value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(AttributeValue::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(AttributeValue::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(AttributeValue::Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(AttributeValue::Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(AttributeValue::Scalar(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(if v {
                    AttributeValue::Scalar(Cow::Borrowed(""))
                } else {
                    AttributeValue::False
                })
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(AttributeValue::Removed)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(AttributeValue::Removed)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(AttributeValue::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(AttributeValue::Other)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Attributes<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Attributes<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an attribute map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(name) = map.next_key::<Cow<'de, str>>()? {
                    let value = map.next_value::<AttributeValue<'de>>()?;
                    out.push((name, value));
                }
                Ok(Attributes(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Attributes::default())
            }
            scalars_read_as!(Attributes::default());
        }
        d.deserialize_any(V)
    }
}

/// An integer, or absent for anything else.
fn int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match AttributeValue::deserialize(d)? {
        AttributeValue::Text(t) | AttributeValue::Scalar(t) => t
            .parse::<f64>()
            .ok()
            .filter(|n| n.fract() == 0.0 && n.abs() < 9.0e15)
            .map(|n| n as i64),
        _ => None,
    })
}

/// Text (numbers as their text), or absent for anything else.
fn text<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'a, str>>, D::Error> {
    Ok(match AttributeValue::deserialize(d)? {
        AttributeValue::Text(t) | AttributeValue::Scalar(t) => Some(t),
        _ => None,
    })
}

/// An object read as `T`; anything else reads as absent (as the typed events read it).
fn lenient<'de: 'a, 'a, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Ok(Lenient::<T>::deserialize(d)?.0)
}

fn lenient_data<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Data<'a>, D::Error> {
    Ok(lenient(d)?.unwrap_or_default())
}

/// A list whose elements that do not fit are skipped; anything but a list is empty.
fn list<'de: 'a, 'a, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    struct V<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq.next_element::<Lenient<T>>()? {
                if let Some(v) = item.0 {
                    out.push(v);
                }
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Vec::new())
        }
        scalars_read_as!(Vec::new());
    }
    d.deserialize_any(V(std::marker::PhantomData))
}

/// An element that is only kept when it is an object of the right shape.
struct Lenient<T>(Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Objects are read as T (their fields are lenient already); anything else is skipped.
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Lenient<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|v| Lenient(Some(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
            scalars_read_as!(Lenient(None));
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_values_read_as_absent_and_strings_are_borrowed() {
        let text = r#"{"data": {"node": {"id": 1, "type": 0, "childNodes": [
            {"id": "2", "type": 2, "tagName": "P", "attributes": {"class": "a", "width": 40, "open": true, "x": null, "style": {"color": "red"}},
             "childNodes": [{"id": 3, "type": 3, "textContent": "hi"}, 7, "junk"]},
            {"id": 4, "type": 2, "tagName": ["x"], "attributes": [], "childNodes": {}}
        ]}, "adds": 5, "texts": [{"id": 3, "value": 9}]}}"#;
        let event: Event<'_> = serde_json::from_str(text).unwrap_or_default();
        let doc = event.data.node.unwrap_or_default();
        assert_eq!(doc.children.len(), 2);
        let p = &doc.children[0];
        assert_eq!((p.id, p.tag.as_deref()), (Some(2), Some("P")));
        assert!(matches!(p.tag, Some(Cow::Borrowed(_))));
        assert_eq!(p.attributes.text("class"), Some("a"));
        assert_eq!(p.attributes.text("width"), Some("40"));
        assert_eq!(p.attributes.text("open"), Some(""));
        assert_eq!(p.attributes.get("x"), Some(&AttributeValue::Removed));
        assert_eq!(p.attributes.get("style"), Some(&AttributeValue::Other));
        assert_eq!(p.children.len(), 1);
        assert_eq!(doc.children[1].tag, None);
        assert!(event.data.adds.is_empty());
        assert_eq!(event.data.texts[0].value.as_deref(), Some("9"));
    }
}
