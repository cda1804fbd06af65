package s3api

import (
	"encoding/xml"
	"sort"

	"inlet/internal/objstore"
)

type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	TagSet  []tag    `xml:"TagSet>Tag"`
}

type tag struct {
	Key   string
	Value string
}

func (s *Server) getObjectTagging(q *request) error {
	if _, err := s.bucketFor(q); err != nil {
		return err
	}
	if err := versionParam(q); err != nil {
		return err
	}
	m, err := s.cfg.Store.HeadObject(q.r.Context(), q.bucket, q.key)
	if err != nil {
		return err
	}
	out := tagging{Xmlns: s3Namespace, TagSet: []tag{}}
	for k, v := range m.Tags {
		out.TagSet = append(out.TagSet, tag{Key: k, Value: v})
	}
	sort.Slice(out.TagSet, func(i, j int) bool { return out.TagSet[i].Key < out.TagSet[j].Key })
	return writeXML(q, 200, out)
}

func (s *Server) putObjectTagging(q *request) error {
	if _, err := s.bucketFor(q); err != nil {
		return err
	}
	if err := versionParam(q); err != nil {
		return err
	}
	body, err := readSmallBody(q, 64<<10)
	if err != nil {
		return err
	}
	var in tagging
	if err := xml.Unmarshal(body, &in); err != nil {
		return newError("MalformedXML")
	}
	tags := make(map[string]string, len(in.TagSet))
	for _, t := range in.TagSet {
		if _, dup := tags[t.Key]; dup {
			return errorf("InvalidTag", "Cannot provide multiple Tags with the same key")
		}
		tags[t.Key] = t.Value
	}
	if err := validateTags(tags); err != nil {
		return err
	}
	_, err = s.cfg.Store.UpdateObjectMeta(q.r.Context(), q.bucket, q.key, func(m *objstore.ObjectMeta) error {
		m.Tags = tags
		return nil
	})
	if err != nil {
		return err
	}
	q.w.WriteHeader(200)
	return nil
}

func (s *Server) deleteObjectTagging(q *request) error {
	if _, err := s.bucketFor(q); err != nil {
		return err
	}
	_, err := s.cfg.Store.UpdateObjectMeta(q.r.Context(), q.bucket, q.key, func(m *objstore.ObjectMeta) error {
		m.Tags = nil
		return nil
	})
	if err != nil {
		return err
	}
	q.w.WriteHeader(204)
	return nil
}
