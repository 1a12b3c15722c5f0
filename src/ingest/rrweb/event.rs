//! Typed rrweb events. Only the fields the importer reads are decoded; everything else (text,
//! styles, canvas, most attributes) is skipped without being built, which is most of what makes
//! imports fast. Fields are lenient: a value of an unexpected type reads as absent instead of
//! failing the file, exactly as a missing field would.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// `visit_*` methods that read the listed kinds of JSON value as `$value` (containers are
/// skipped without being built).
macro_rules! read_as {
    ($de:lifetime, $value:expr; $($kind:ident),*) => { $(read_as!(@one $de, $kind, $value);)* };
    (@one $de:lifetime, str, $v:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> { Ok($v) }
    };
    (@one $de:lifetime, f64, $v:expr) => {
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> { Ok($v) }
    };
    (@one $de:lifetime, i64, $v:expr) => {
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> { Ok($v) }
    };
    (@one $de:lifetime, u64, $v:expr) => {
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> { Ok($v) }
    };
    (@one $de:lifetime, bool, $v:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> { Ok($v) }
    };
    (@one $de:lifetime, unit, $v:expr) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> { Ok($v) }
    };
    (@one $de:lifetime, none, $v:expr) => {
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> { Ok($v) }
    };
    (@one $de:lifetime, seq, $v:expr) => {
        fn visit_seq<A: SeqAccess<$de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($v)
        }
    };
    (@one $de:lifetime, map, $v:expr) => {
        fn visit_map<A: MapAccess<$de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok($v)
        }
    };
}

/// One event.
#[derive(Debug, Default, Deserialize)]
pub struct Event {
    /// `EventType`.
    #[serde(rename = "type", default, deserialize_with = "int")]
    pub kind: Option<i64>,
    /// Milliseconds since the Unix epoch.
    #[serde(default, deserialize_with = "num")]
    pub timestamp: Option<f64>,
    /// The payload.
    #[serde(default, deserialize_with = "data")]
    pub data: Data,
    /// A window id some exporters add.
    #[serde(
        rename = "windowId",
        alias = "window_id",
        default,
        deserialize_with = "text"
    )]
    pub window_id: Option<String>,
    /// A session id some recorders add.
    #[serde(rename = "sessionId", default, deserialize_with = "text")]
    pub session_id: Option<String>,
}

/// The fields of `data` the importer reads, for every event type.
#[derive(Debug, Default, Deserialize)]
pub struct Data {
    /// IncrementalSource.
    #[serde(default, deserialize_with = "int")]
    pub source: Option<i64>,
    /// Meta: the page URL.
    #[serde(default, deserialize_with = "text")]
    pub href: Option<String>,
    /// Meta and ViewportResize.
    #[serde(default, deserialize_with = "num")]
    pub width: Option<f64>,
    /// Meta and ViewportResize.
    #[serde(default, deserialize_with = "num")]
    pub height: Option<f64>,
    /// FullSnapshot: the scroll position.
    #[serde(rename = "initialOffset", default)]
    pub initial_offset: Option<Offset>,
    /// MouseMove, TouchMove, Drag.
    #[serde(default, deserialize_with = "positions")]
    pub positions: Option<Vec<Position>>,
    /// MouseInteraction type.
    #[serde(rename = "type", default, deserialize_with = "int")]
    pub kind: Option<i64>,
    /// Target node id.
    #[serde(default, deserialize_with = "int")]
    pub id: Option<i64>,
    /// Coordinates or scroll offsets.
    #[serde(default, deserialize_with = "num")]
    pub x: Option<f64>,
    /// Coordinates or scroll offsets.
    #[serde(default, deserialize_with = "num")]
    pub y: Option<f64>,
    /// Mouse 0, pen 1, touch 2.
    #[serde(rename = "pointerType", default, deserialize_with = "int")]
    pub pointer_type: Option<i64>,
    /// Custom: the tag.
    #[serde(default, deserialize_with = "text")]
    pub tag: Option<String>,
    /// Plugin: its name.
    #[serde(default, deserialize_with = "text")]
    pub plugin: Option<String>,
    /// Plugin payload (console level lives here).
    #[serde(default)]
    pub payload: Option<Value>,
}

/// A scroll offset.
#[derive(Debug, Default, Deserialize)]
pub struct Offset {
    /// Horizontal.
    #[serde(default, deserialize_with = "num")]
    pub left: Option<f64>,
    /// Vertical.
    #[serde(default, deserialize_with = "num")]
    pub top: Option<f64>,
}

/// One pointer sample.
#[derive(Debug, Default, Deserialize)]
pub struct Position {
    /// The node under the pointer.
    #[serde(default, deserialize_with = "int")]
    pub id: Option<i64>,
    /// Viewport x.
    #[serde(default, deserialize_with = "num")]
    pub x: Option<f64>,
    /// Viewport y.
    #[serde(default, deserialize_with = "num")]
    pub y: Option<f64>,
    /// Offset from the event's timestamp (usually negative).
    #[serde(rename = "timeOffset", default, deserialize_with = "num")]
    pub time_offset: Option<f64>,
}

/// A visitor that takes numbers and ignores anything else.
struct NumberOrNothing;

impl<'de> Visitor<'de> for NumberOrNothing {
    type Value = Option<f64>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    read_as!('de, None; str, bool, unit, none, seq, map);
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
}

fn num<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    d.deserialize_any(NumberOrNothing)
}

fn int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(num(d)?
        .filter(|n| n.fract() == 0.0 && n.abs() < 9.0e15)
        .map(|n| n as i64))
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct TextOrNothing;
    impl<'de> Visitor<'de> for TextOrNothing {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }
        read_as!('de, None; f64, i64, u64, bool, unit, none, seq, map);
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
    }
    d.deserialize_any(TextOrNothing)
}

/// Any JSON value: an object is read as `T`, anything else as `T::default()`.
struct Lenient<T>(T);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct LenientVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for LenientVisitor<T> {
            type Value = Lenient<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            read_as!('de, Lenient(T::default()); seq, str, f64, i64, u64, bool, unit);
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Lenient)
            }
        }
        d.deserialize_any(LenientVisitor(PhantomData))
    }
}

fn data<'de, D: Deserializer<'de>>(d: D) -> Result<Data, D::Error> {
    Lenient::<Data>::deserialize(d).map(|l| l.0)
}

fn positions<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Position>>, D::Error> {
    struct Samples;
    impl<'de> Visitor<'de> for Samples {
        type Value = Option<Vec<Position>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of samples")
        }
        read_as!('de, None; map, str, f64, i64, u64, bool, unit);
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(8).min(4096));
            while let Some(Lenient(p)) = seq.next_element::<Lenient<Position>>()? {
                out.push(p);
            }
            Ok(Some(out))
        }
    }
    d.deserialize_any(Samples)
}
